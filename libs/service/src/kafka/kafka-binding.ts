// The CloudEvents Kafka binding (cloudevents/spec kafka-protocol-binding.md, 1.0.2) for one record
// of the usage topics, read by its headers:
//   - structured: header content-type application/cloudevents+json, or no content-type and no ce_
//     header (the format events.md always had): the value is the event;
//   - binary: ce_ headers (ce_specversion, ce_id, ce_source, ce_type, ce_subject, ce_time, extensions),
//     content-type as datacontenttype, the value as the data;
//   - anything else says neither clearly (a batch, another event format, a content-type without ce_
//     headers, a binary record missing a required ce_ header): an UnreadableEvent with the reason,
//     which UsageIngest rejects in its place, so the record is dead-lettered with it.
// The record key is not read: it is the account id for the partitioning, the event's subject says whose usage it is.
import { IHeaders, KafkaMessage } from 'kafkajs';
import { AttributeHeaders, binaryModeEvent, contentModeOf, HeaderValues } from '../usage/cloudevents-binding';
import { UnreadableEvent } from '../usage/usage-event';

/** Kafka header values are bytes, taken as UTF-8 text (a value that is not UTF-8 is refused). */
export const KAFKA_ATTRIBUTE_HEADERS: AttributeHeaders = {
  prefix: 'ce_',
  decode: (value) => (value.includes('\uFFFD') ? undefined : value),
  encodingRule: 'UTF-8 text',
};

/** The raw event of a record for UsageIngest: its value (structured), the event of its headers and value (binary), or why neither. */
export function eventOfRecord(message: Pick<KafkaMessage, 'headers' | 'value'>): unknown {
  const headers = headerValuesOf(message.headers);
  const contentTypes = headers.get('content-type') ?? [];
  if (contentTypes.length > 1)
    return new UnreadableEvent([{ field: 'content-type', message: `content-type is sent ${contentTypes.length} times` }]);
  const [contentType] = contentTypes;
  const content = contentModeOf(
    contentType,
    [...headers.keys()].some((name) => name.startsWith('ce_')),
  );
  switch (content.mode) {
    case 'structured':
      return message.value;
    case 'binary':
      return binaryModeEvent(KAFKA_ATTRIBUTE_HEADERS, headers, message.value?.toString('utf8'));
    case 'batched':
      return new UnreadableEvent([
        { field: 'content-type', message: 'a record carries one event (its key is the account): batched mode is not read on Kafka' },
      ]);
    case 'unsupported':
      return new UnreadableEvent([{ field: 'content-type', message: content.reason }]);
    case 'none':
      if (contentType === undefined) return message.value;
      return new UnreadableEvent([
        {
          field: 'content-type',
          message:
            'neither structured mode (content-type application/cloudevents+json, or none) nor binary mode (ce_ headers): ' +
            'a content-type with no ce_ headers',
        },
      ]);
  }
}

/**
 * The W3C trace context a record carries: its `traceparent` header (what OpenTelemetry's Kafka
 * propagation writes) or, in binary mode, `ce_traceparent` (the CloudEvents distributed-tracing
 * extension). The value in a structured event's JSON is not read here: that would parse every
 * record twice. Only headers that look like a traceparent (version-trace-span-flags) are taken.
 */
export function traceparentOf(message: Pick<KafkaMessage, 'headers'>): string | undefined {
  const headers = message.headers;
  if (!headers) return undefined;
  for (const name of ['traceparent', 'ce_traceparent']) {
    const raw = headers[name];
    const value = (Array.isArray(raw) ? raw[0] : raw)?.toString().trim();
    if (value && TRACEPARENT.test(value)) return value;
  }
  return undefined;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** Headers by lower-cased name, each value as UTF-8 text (not UTF-8: with U+FFFD, which the binding refuses); absent values skipped. */
function headerValuesOf(headers: IHeaders | undefined): HeaderValues {
  const out = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    const values = (Array.isArray(value) ? value : [value]).flatMap((v) => (v === undefined || v === null ? [] : [v.toString()]));
    if (values.length === 0) continue;
    const key = name.toLowerCase();
    out.set(key, [...(out.get(key) ?? []), ...values]);
  }
  return out;
}
