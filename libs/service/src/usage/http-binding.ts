// The bodies POST /v1/events takes, and the raw events each carries for UsageIngest:
//   - the CloudEvents HTTP binding's three content modes: structured (application/cloudevents+json,
//     one event), batched (application/cloudevents-batch+json, an array), binary (the attributes in
//     ce- headers, content-type as datacontenttype, the data as the body);
//   - a JSON array of events (application/json) and NDJSON (application/x-ndjson), one a line.
// Every body is read by the body parsers of apps/ledger/src/create-app.ts under the one limit
// (LEDGER_MAX_BODY_BYTES, 413); the CloudEvents modes as text (`readsAsText`), so that what is not
// JSON is the event's own rejection, not the request's.
import { IncomingMessage } from 'http';
import { ApiError } from '../kit/http-errors';
import { AttributeHeaders, binaryModeEvent, CLOUDEVENTS_BATCH_JSON, contentModeOf, ContentMode } from './cloudevents-binding';

/** The content types of POST /v1/events (binary mode: any, as the data's type, with ce- headers). */
export const EVENTS_CONTENT_TYPES = ['application/json', 'application/x-ndjson', 'application/cloudevents+json', CLOUDEVENTS_BATCH_JSON];

/**
 * The HTTP binding's header values: printable ASCII, with `%` and what is not printable ASCII
 * percent-encoded as UTF-8 (http-protocol-binding.md 3.1.3.2), decoded here.
 */
export const HTTP_ATTRIBUTE_HEADERS: AttributeHeaders = {
  prefix: 'ce-',
  decode: (value) => {
    if (!/^[\x20-\x7e]*$/.test(value)) return undefined;
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  },
  encodingRule: 'printable ASCII, anything else (and %) percent-encoded as UTF-8 (the CloudEvents HTTP binding)',
};

const hasAttributeHeaders = (req: IncomingMessage): boolean => Object.keys(req.headers).some((name) => name.startsWith('ce-'));

const modeOf = (req: IncomingMessage): ContentMode => contentModeOf(req.headers['content-type'], hasAttributeHeaders(req));

/** For the body parser: a CloudEvents request (structured, batched or binary) is read as text. */
export const readsAsText = (req: IncomingMessage): boolean => modeOf(req).mode !== 'none';

/** The raw events of a request, in order; a body that is no batch at all is a 400 (415 for an event format not read). */
export function eventsOfRequest(req: IncomingMessage & { body?: unknown }): unknown[] {
  const text = typeof req.body === 'string' ? req.body : undefined;
  const mode = modeOf(req);
  switch (mode.mode) {
    case 'unsupported':
      throw new ApiError(415, 'unsupported', mode.reason, [{ field: 'content-type', message: mode.reason }]);
    case 'structured':
      return [text ?? ''];
    case 'binary':
      return [binaryModeEvent(HTTP_ATTRIBUTE_HEADERS, attributeHeadersOf(req), text)];
    case 'batched': {
      let batch: unknown;
      try {
        batch = JSON.parse(text ?? '');
      } catch (err) {
        throw new ApiError(400, 'invalid', `a ${CLOUDEVENTS_BATCH_JSON} body must be a JSON array of events`, [
          { field: '$', message: `not JSON: ${(err as Error).message}` },
        ]);
      }
      if (!Array.isArray(batch))
        throw new ApiError(400, 'invalid', `a ${CLOUDEVENTS_BATCH_JSON} body must be a JSON array of events`, [
          { field: '$', message: 'expected an array' },
        ]);
      return batch;
    }
    case 'none': {
      if ((req.headers['content-type'] ?? '').includes('ndjson')) return (text ?? '').split('\n').filter((line) => line.trim() !== '');
      if (!Array.isArray(req.body))
        throw new ApiError(400, 'invalid', 'the body must be a JSON array of events, application/x-ndjson or a CloudEvents content mode', [
          { field: '$', message: 'expected an array' },
        ]);
      return req.body;
    }
  }
}

/** The ce- headers and content-type, each with every value it was sent with. */
function attributeHeadersOf(req: IncomingMessage): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (const [name, values] of Object.entries(req.headersDistinct))
    if (values && (name.startsWith('ce-') || name === 'content-type')) headers.set(name, values);
  return headers;
}
