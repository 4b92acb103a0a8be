// Typed builders of the usage events of events.md, as the ledger's OpenAPI document types them.
// Each event's id is derived from what it reports (its type and the job or session), never drawn
// at random: building the same event again (a retry, a restarted renderer) gives the same source +
// id and the same body, which the ledger answers `duplicate`, never a second charge.
import { createHash } from 'crypto';
import type { components } from './api';

export type UsageEvent = components['schemas']['UsageEnvelopeDto'];
export type RenderCompletedData = components['schemas']['RenderCompletedDto'];
export type RenderFailedData = components['schemas']['RenderFailedDto'];
export type StreamingSessionEndedData = components['schemas']['StreamingSessionEndedDto'];

/** An instant: a Date, or an ISO-8601 text with its offset. Sent as UTC with milliseconds. */
export type Instant = Date | string;

/** The namespace of the ids (UUID version 5): any UUIDv5 implementation derives the same id from the same type and key. */
export const EVENT_ID_NAMESPACE = '3d0f7a52-6c1e-4b8a-9f3e-2a5b7c9d1e40';

/** UUID version 5 (RFC 9562: SHA-1 of the namespace's bytes and the name's UTF-8). */
export function uuidV5(namespace: string, name: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of the event of `type` about a job or session: the same for every retry. */
export const eventIdOf = (type: UsageEvent['type'], key: string): string => uuidV5(EVENT_ID_NAMESPACE, `${type}/${key}`);

/** ISO-8601 UTC with milliseconds; an unreadable instant is a bug of the caller (a RangeError). */
const iso = (at: Instant): string => new Date(at).toISOString();

interface Common {
  /** Who reports it, e.g. `renderer/eu-west-1`: with the id, what identifies the event. */
  source: string;
  /** The account the usage is charged to (the event's subject, the Kafka record key). */
  accountId: string;
}

const envelope = (type: UsageEvent['type'], key: string, c: Common, time: Instant, data: UsageEvent['data']): UsageEvent => ({
  specversion: '1.0',
  id: eventIdOf(type, key),
  source: c.source,
  type,
  time: iso(time),
  subject: c.accountId,
  datacontenttype: 'application/json',
  data,
});

/**
 * A finished render. `endedAt` is when it ended (the event time the charge follows); it has no
 * default on purpose: a retry built with "now" would be another body for the same id, a conflict.
 */
export function renderCompleted(e: Common & RenderCompletedData & { endedAt: Instant }): UsageEvent {
  const { source, accountId, endedAt, ...data } = e;
  return envelope('render.completed', data.jobId, { source, accountId }, endedAt, data);
}

/** A render that failed: no charge; it releases the hold taken for its job. */
export function renderFailed(e: Common & RenderFailedData & { failedAt: Instant }): UsageEvent {
  const { source, accountId, failedAt, ...data } = e;
  return envelope('render.failed', data.jobId, { source, accountId }, failedAt, data);
}

/** A streaming session that ended: charged per second from `startedAt` to `endedAt` (the event time). */
export function streamingSessionEnded(
  e: Common & Omit<StreamingSessionEndedData, 'startedAt' | 'endedAt'> & { startedAt: Instant; endedAt: Instant },
): UsageEvent {
  const { source, accountId, sessionId, integration, startedAt, endedAt } = e;
  return envelope('streaming.session.ended', sessionId, { source, accountId }, endedAt, {
    sessionId,
    integration,
    startedAt: iso(startedAt),
    endedAt: iso(endedAt),
  });
}
