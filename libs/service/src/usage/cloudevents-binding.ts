// What the CloudEvents protocol bindings for HTTP and Kafka (cloudevents/spec http-protocol-binding.md
// and kafka-protocol-binding.md, 1.0.2) say of one message: its content mode, read from its
// content-type and headers, and the event of a binary-mode message (the attributes in `ce-` or `ce_`
// headers, `content-type` as `datacontenttype`, the body as `data`). Pure: headers and text in, a raw
// event out for UsageIngest, which validates it as any envelope, or an UnreadableEvent naming the
// headers the binding could not read.
import { FieldError, isJsonContentType, MAX_EVENT_BYTES, UnreadableEvent } from './usage-event';

/** The media types of the JSON event format: one event, or a batch of them. */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json';
export const CLOUDEVENTS_BATCH_JSON = 'application/cloudevents-batch+json';

/** How a message carries its event(s). `none`: no CloudEvents content type and no attribute header. */
export type ContentMode =
  { mode: 'structured' } | { mode: 'batched' } | { mode: 'binary' } | { mode: 'none' } | { mode: 'unsupported'; reason: string };

/** The header values of a message by lower-cased name; a header sent twice has two values. */
export type HeaderValues = ReadonlyMap<string, readonly string[]>;

/** How one protocol spells the attribute headers. */
export interface AttributeHeaders {
  /** `ce-` (HTTP) or `ce_` (Kafka). */
  prefix: 'ce-' | 'ce_';
  /** A header's value as the attribute's text, or undefined when it breaks the binding's encoding. */
  decode(value: string): string | undefined;
  /** What `decode` asks of a value, for the answer when it refuses one. */
  encodingRule: string;
}

/** The required attributes of CloudEvents 1.0; `subject` and `time` are required by the envelope of events.md. */
const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;

/** CloudEvents attribute names: lower-case ASCII letters and digits. */
const ATTRIBUTE_NAME = /^[a-z0-9]+$/;

/** The media type of a content-type value: lower-cased, without its parameters. */
export const mediaTypeOf = (contentType: string): string => contentType.split(';')[0].trim().toLowerCase();

/**
 * The content mode of a message (the bindings' rule: the content-type first, then the attribute
 * headers): `application/cloudevents+json` is structured, `application/cloudevents-batch+json`
 * batched, another `application/cloudevents...` format is not one the ledger reads; otherwise a
 * message with an attribute header (`ce-`/`ce_`) is binary.
 */
export function contentModeOf(contentType: string | undefined, hasAttributeHeaders: boolean): ContentMode {
  if (contentType !== undefined) {
    const media = mediaTypeOf(contentType);
    if (media === CLOUDEVENTS_BATCH_JSON) return { mode: 'batched' };
    if (media === CLOUDEVENTS_JSON) return { mode: 'structured' };
    if (media.startsWith('application/cloudevents'))
      return {
        mode: 'unsupported',
        reason: `only the JSON event format is read (${CLOUDEVENTS_JSON}, ${CLOUDEVENTS_BATCH_JSON}), not ${printable(media)}`,
      };
  }
  return hasAttributeHeaders ? { mode: 'binary' } : { mode: 'none' };
}

/**
 * The event of a binary-mode message: every attribute header becomes its attribute (extensions
 * too, so the event is the one its structured form would carry), `content-type` its
 * `datacontenttype`, the body, parsed as JSON, its `data`. What the binding cannot read (a required
 * header missing or sent twice, a value breaking the encoding, data that is not JSON) makes an
 * UnreadableEvent naming each header or `data`; the envelope's own rules are UsageIngest's.
 */
export function binaryModeEvent(spelling: AttributeHeaders, headers: HeaderValues, body: string | undefined): object {
  const { prefix } = spelling;
  const errors: FieldError[] = [];
  const event: Record<string, unknown> = {};
  for (const [name, values] of headers) {
    if (!name.startsWith(prefix)) continue;
    const attribute = name.slice(prefix.length);
    if (!ATTRIBUTE_NAME.test(attribute))
      errors.push({ field: name, message: `${printable(attribute)} is not a CloudEvents attribute name (lower-case letters and digits)` });
    else if (attribute === 'data') errors.push({ field: name, message: `in binary mode the data is the body, not a ${prefix}data header` });
    else if (values.length !== 1)
      errors.push({ field: name, message: `${name} is sent ${values.length} times: an attribute has one value` });
    else {
      const value = spelling.decode(values[0]);
      if (value === undefined) errors.push({ field: name, message: `${name} must be ${spelling.encodingRule}` });
      else event[attribute] = value;
    }
  }
  for (const attribute of REQUIRED)
    if (!(attribute in event) && !errors.some((e) => e.field === prefix + attribute))
      errors.push({ field: prefix + attribute, message: `binary mode needs the ${prefix}${attribute} header (the event's ${attribute})` });

  // datacontenttype is content-type; a ce_datacontenttype header too (the SDK's Kafka binding sends both) must agree with it
  const contentTypes = headers.get('content-type') ?? [];
  const declared = typeof event.datacontenttype === 'string' ? event.datacontenttype : undefined;
  delete event.datacontenttype;
  if (contentTypes.length > 1) errors.push({ field: 'content-type', message: `content-type is sent ${contentTypes.length} times` });
  const contentType = contentTypes[0] ?? declared;
  if (contentTypes[0] !== undefined && declared !== undefined && normalized(contentTypes[0]) !== normalized(declared))
    errors.push({
      field: `${prefix}datacontenttype`,
      message: `${prefix}datacontenttype differs from content-type, which is the data's type`,
    });
  if (contentType !== undefined) {
    if (isJsonContentType(contentType)) event.datacontenttype = 'application/json';
    else errors.push({ field: 'content-type', message: 'the data must be JSON: content-type application/json (binary mode)' });
  }

  if (body === undefined || body.length === 0)
    errors.push({ field: 'data', message: "in binary mode the body is the event's data: it is empty" });
  else if (Buffer.byteLength(body) > MAX_EVENT_BYTES)
    errors.push({ field: 'data', message: `the data may be at most ${MAX_EVENT_BYTES} bytes` });
  else
    try {
      event.data = JSON.parse(body);
    } catch (err) {
      errors.push({ field: 'data', message: `not JSON: ${(err as Error).message}` });
    }
  return errors.length ? new UnreadableEvent(errors) : event;
}

const normalized = (contentType: string): string =>
  isJsonContentType(contentType) ? 'application/json' : contentType.trim().toLowerCase();

/** A name or media type the sender chose, fit to quote in an answer (printable ASCII, at most 100 characters). */
const printable = (text: string): string => JSON.stringify(text.replace(/[^\x20-\x7e]/g, '?').slice(0, 100));
