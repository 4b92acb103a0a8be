// What goes to the dead-letter topic (events.md): the original key, value and headers, plus
// headers naming the reason (the per-field errors as JSON), the source topic, partition and offset.
import { IHeaders, KafkaMessage, Message } from 'kafkajs';
import { FieldError } from '../usage/usage-event';

/** Header names added to a dead letter (the original headers are kept, ours win on a clash). */
export const DEAD_LETTER_HEADERS = {
  /** JSON array of `{ field, message, code? }`: every reason the event was refused. */
  reason: 'dead-letter.reason',
  topic: 'dead-letter.topic',
  partition: 'dead-letter.partition',
  offset: 'dead-letter.offset',
  /** The consumer group that refused it. */
  group: 'dead-letter.group',
  /** The original record's timestamp (ms since the epoch); the dead letter gets its own. */
  timestamp: 'dead-letter.timestamp',
  /** When it was refused (ISO-8601, the ingestor's wall clock). */
  at: 'dead-letter.at',
} as const;

export interface DeadLetterSource {
  topic: string;
  partition: number;
  groupId: string;
}

export function deadLetterOf(
  message: KafkaMessage,
  errors: readonly (FieldError & { code?: string })[],
  source: DeadLetterSource,
  at = new Date(),
): Message {
  const H = DEAD_LETTER_HEADERS;
  const headers: IHeaders = {
    ...(message.headers ?? {}),
    [H.reason]: JSON.stringify(errors.map((e) => ({ field: e.field, message: e.message, ...(e.code ? { code: e.code } : {}) }))),
    [H.topic]: source.topic,
    [H.partition]: String(source.partition),
    [H.offset]: message.offset,
    [H.group]: source.groupId,
    [H.timestamp]: message.timestamp,
    [H.at]: at.toISOString(),
  };
  return { key: message.key, value: message.value, headers };
}
