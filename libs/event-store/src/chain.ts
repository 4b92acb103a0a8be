// Tamper evidence: what each event's hash and the log's running digest cover, one definition for
// every adapter, the audit and the migration (README "Tamper evidence").
//
//   hash(e)    = SHA-256( hash of the event before e in its stream (32 zero bytes for version 1)
//                       ‖ UTF-8 of canonicalJson([streamId, streamVersion, type, data, metadata]) )
//   digest(n)  = SHA-256( digest(n - 1) (32 zero bytes before the first event)
//                       ‖ hash(e_n) ‖ recordedAt of e_n in milliseconds since 1970, 8 bytes big-endian )
//
// e_n is the n-th event of the log in the order of global positions (commit order). The hash covers
// what the writer appended, so it is the same on every adapter and survives a migration; the
// digest adds the order of the log and the time the store recorded each event. Global position
// numbers are not in either: a migration to KurrentDB renumbers them, and the digest of a log
// there is still the same. Values are lower-case hex.
import { hash } from 'crypto';
import { GlobalPosition, RecordedEvent } from './port';

/** Names the definition above (answered by GET /v1/audit/digest). */
export const CHAIN_ALGORITHM = 'sha256-chain-v1';

/** The link before the first event of a stream, and the digest of an empty log. */
export const GENESIS = '0'.repeat(64);

/** What the hash of an event covers. */
export type HashedFields = Pick<RecordedEvent, 'streamId' | 'streamVersion' | 'type' | 'data' | 'metadata'>;

/**
 * JSON with no whitespace and every object's keys in ascending order of UTF-16 code units (RFC 8785's
 * order); strings and numbers as JSON.stringify writes them (RFC 8785's forms), members whose value
 * is undefined, a function or a symbol left out, `toJSON` used: the same value as JSON.stringify
 * gives, whatever order its keys were built in. So the JSON a PostgreSQL jsonb column or KurrentDB
 * gives back makes the same text as the object the writer appended.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  if (!put(value, parts)) throw new TypeError('canonicalJson: the value has no JSON form');
  return parts.join('');
}

/** Whether JSON.stringify escapes anything in `s`: `"`, `\`, a control character, a (lone) surrogate. */
function escapes(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}
const quoted = (s: string) => (escapes(s) ? JSON.stringify(s) : `"${s}"`);

// On the append path, once per value of every event: the text goes into one array joined once
// (one flat string; concatenating would leave a rope of small strings for the collector).
/** Appends the canonical JSON of `value` to `out`; false (nothing added) for what has no JSON form. */
function put(value: unknown, out: string[]): boolean {
  switch (typeof value) {
    case 'string':
      out.push(quoted(value));
      return true;
    case 'number':
      out.push(Number.isFinite(value) ? `${value}` : 'null');
      return true;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return true;
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object':
      break;
    default:
      return false; // undefined, function, symbol
  }
  if (value === null) {
    out.push('null');
    return true;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      if (!put(value[i], out)) out.push('null');
    }
    out.push(']');
    return true;
  }
  const o = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof o.toJSON === 'function') return put(o.toJSON(), out);
  const keys = Object.keys(o);
  if (keys.length > 1) keys.sort();
  out.push('{');
  let separator = false;
  for (let i = 0; i < keys.length; i++) {
    const v = o[keys[i]];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    const mark = out.length;
    out.push(separator ? `,${quoted(keys[i])}:` : `${quoted(keys[i])}:`);
    if (put(v, out)) separator = true;
    else out.length = mark; // a toJSON that gives nothing: the member is left out, as JSON.stringify does
  }
  out.push('}');
  return true;
}

/**
 * The canonical bytes of an event, as text, from the canonical JSON of its data and metadata
 * (`canonicalJson`), which a writer may have at hand already.
 */
export function eventText(streamId: string, streamVersion: number, type: string, dataJson: string, metadataJson: string): string {
  return `[${JSON.stringify(streamId)},${streamVersion},${JSON.stringify(type)},${dataJson},${metadataJson}]`;
}

// The bytes hashed are written into one buffer, hashed in one call (no Hash object per event).
let scratch = Buffer.allocUnsafe(1 << 16);

/** The hash of an event of canonical text `text` (eventText) after `previous` in its stream. */
export function linkHash(previous: string, text: string): string {
  let written = scratch.write(text, 32, 'utf8');
  if (32 + written > scratch.length - 4) {
    // It may not have fitted (a write stops short of a character that does not fit): make room.
    scratch = Buffer.allocUnsafe(Math.max(32 + Buffer.byteLength(text, 'utf8'), scratch.length * 2));
    written = scratch.write(text, 32, 'utf8');
  }
  scratch.write(previous, 0, 32, 'hex');
  return hash('sha256', scratch.subarray(0, 32 + written), 'hex');
}

/** The hash of `e` after the event of hash `previous` in its stream (GENESIS for version 1). */
export function eventHash(previous: string, e: HashedFields): string {
  return linkHash(previous, eventText(e.streamId, e.streamVersion, e.type, canonicalJson(e.data), canonicalJson(e.metadata ?? {})));
}

/** The log's digest once the event of hash `hash`, recorded at `recordedAt`, follows the digest `previous`. */
export function nextDigest(previous: string, eventHash: string, recordedAt: Date): string {
  const ms = recordedAt.getTime();
  if (!Number.isSafeInteger(ms)) throw new RangeError(`recordedAt is not a time: ${String(recordedAt)}`);
  digestInput.write(previous, 0, 32, 'hex');
  digestInput.write(eventHash, 32, 32, 'hex');
  digestInput.writeInt32BE(Math.floor(ms / 2 ** 32), 64); // 8 bytes big-endian, two's complement
  digestInput.writeUInt32BE(ms >>> 0, 68);
  return hash('sha256', digestInput, 'hex');
}

const digestInput = Buffer.allocUnsafe(72);

/**
 * Folds events in log order into stream links and the running digest, from any point of the log:
 * what the audit, the KurrentDB adapter and the migration compute. An event without a stored hash
 * is hashed from its bytes.
 */
export class ChainFold {
  /** The hash of the last event folded, per stream. */
  readonly streams = new Map<string, { version: number; hash: string }>();
  digest: string;
  position: GlobalPosition;
  events = 0;

  constructor(from: { digest: string; position: GlobalPosition } = { digest: GENESIS, position: 0n }) {
    this.digest = from.digest;
    this.position = from.position;
  }

  /** The hash `e` must have after what was folded (its stream's last link, or GENESIS). */
  expectedHash(e: HashedFields): string {
    return eventHash(this.streams.get(e.streamId)?.hash ?? GENESIS, e);
  }

  /** Folds `e` with its hash (computed when not given) and returns that hash. */
  add(e: HashedFields & Pick<RecordedEvent, 'globalPosition' | 'recordedAt'>, hash = this.expectedHash(e)): string {
    this.streams.set(e.streamId, { version: e.streamVersion, hash });
    this.digest = nextDigest(this.digest, hash, e.recordedAt);
    this.position = e.globalPosition;
    this.events++;
    return hash;
  }
}
