// Turns one raw event (bytes or parsed JSON) into a ledger item, or names every field at fault.
import * as crypto from 'crypto';
import { validateSync, ValidationError } from 'class-validator';
import { AccountCommand, Instant, ms, toInstant, UsageKind } from '@ledger/domain';
import { LedgerItem, Provenance } from '../accounts/ledger-item';
import { passesConstraints } from './compiled-check';
import { MAX_JSON_DEPTH, MAX_SESSION_MS, nestsDeeperThan } from '../kit/input-limits';
import { RenderCompletedDto, RenderFailedDto, StreamingSessionEndedDto, UsageEnvelopeDto } from './envelope.dto';

export interface FieldError {
  field: string;
  message: string;
}

export type ParsedUsage =
  { ok: true; id: string; source: string; item: LedgerItem } | { ok: false; id?: string; source?: string; errors: FieldError[] };

/**
 * An event a protocol binding could not read (a binary-mode header missing, data that is not JSON):
 * UsageIngest rejects it in its place with these reasons, as it rejects an envelope that breaks a rule.
 */
export class UnreadableEvent {
  constructor(readonly errors: FieldError[]) {}
}

/**
 * `application/json`, alone or with `charset=utf-8` (JSON is UTF-8, RFC 8259), in any case: the one
 * data content type of events.md, recorded as `application/json` however it was written.
 */
export function isJsonContentType(contentType: string): boolean {
  const [media, ...parameters] = contentType.split(';').map((p) => p.trim().toLowerCase());
  return media === 'application/json' && parameters.every((p) => p === '' || /^charset="?utf-8"?$/.test(p));
}

/** Events further ahead of the ledger's clock than this are bad input (events.md). */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** Largest event: its JSON text (the raw bytes of a line or a Kafka value, or the canonical text of an HTTP element). */
export const MAX_EVENT_BYTES = 64 * 1024;

const flatten = (errors: ValidationError[], prefix = ''): FieldError[] =>
  errors.flatMap((e) => {
    const field = prefix + e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], `${field}.`)];
  });

// The DTOs need no conversions, only their decorators: a plain copy onto an instance is enough
// (class-transformer's plainToInstance costs more than the validation itself).
const VALIDATION = { forbidUnknownValues: false, stopAtFirstError: true, validationError: { target: false, value: false } };
function validate<T extends object>(cls: new () => T, plain: unknown, prefix = ''): { value: T; errors: FieldError[] } {
  const value = ownCopy(new cls(), plain);
  if (passesConstraints(cls, value as Record<string, unknown>)) return { value, errors: [] };
  return { value, errors: flatten(validateSync(value, VALIDATION), prefix) };
}

/**
 * `plain`'s properties as own properties of `target`. Not Object.assign: a `__proto__` key (JSON.parse
 * makes it an own property) would replace the prototype, and the DTO's rules with it (the event then
 * passed unchecked: a 500 at its missing time, found by schemathesis).
 */
function ownCopy<T extends object>(target: T, plain: unknown): T {
  for (const [key, v] of Object.entries(plain as object))
    Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
  return target;
}

/** Digest of the event body: the same source + id with another body is a conflict. */
export const fingerprint = (raw: unknown): string => sha256(canonicalJson(raw) as string);
const fingerprintOfText = (canonical: string): string => sha256(canonical);

// crypto.hash (Node >= 20.12) is the one-shot form of createHash().update().digest(): same digest.
const sha256: (text: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (text) => (crypto as unknown as { hash(alg: string, data: string, enc: string): string }).hash('sha256', text, 'base64url')
    : (text) => crypto.createHash('sha256').update(text).digest('base64url');

/**
 * Keys sorted, no spaces. Written as one pass of concatenation; the text is exactly what
 * `[${items.map(canonicalJson).join(',')}]` and `{${sortedKeys.map(k => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`
 * gave (an undefined item in an array is empty, an undefined value in an object is `undefined`):
 * stored fingerprints stay valid.
 */
function canonicalJson(v: unknown): string | undefined {
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      if (i in v) {
        const item = canonicalJson(v[i]);
        if (item !== undefined) s += item;
      }
    }
    return s + ']';
  }
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    let s = '{';
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) s += ',';
      s += JSON.stringify(keys[i]) + ':' + canonicalJson((v as Record<string, unknown>)[keys[i]]);
    }
    return s + '}';
  }
  return JSON.stringify(v);
}

/** Unambiguous for any source and id: the JSON text of the pair. */
export const dedupeKey = (source: string, id: string): string => JSON.stringify([source, id]);

/** Parses one event; `raw` is a JSON text (a line, a Kafka value) or an already parsed value. */
export function parseUsageEvent(raw: string | Buffer | unknown, now: Instant, provenance: Provenance): ParsedUsage {
  if (raw instanceof UnreadableEvent) return { ok: false, errors: raw.errors };
  let plain: unknown = raw;
  if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
    if ((typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length) > MAX_EVENT_BYTES) return tooLarge();
    try {
      plain = JSON.parse(raw.toString());
    } catch (err) {
      return { ok: false, errors: [{ field: '$', message: `not JSON: ${(err as Error).message}` }] };
    }
  }
  if (!plain || typeof plain !== 'object' || Array.isArray(plain))
    return { ok: false, errors: [{ field: '$', message: 'an event must be a JSON object' }] };
  plain = withJsonContentType(plain as Record<string, unknown>);
  // Depth first (iterative): the canonical text below recurses.
  if (nestsDeeperThan(plain, MAX_JSON_DEPTH))
    return { ok: false, errors: [{ field: '$', message: `an event may nest at most ${MAX_JSON_DEPTH} levels deep` }] };
  const canonical = canonicalJson(plain) as string;
  if (canonical.length > MAX_EVENT_BYTES) return tooLarge();
  const env = validate(UsageEnvelopeDto, plain);
  // An id or source is echoed in the answer only once it passed its own rule (printable, bounded).
  const named = { id: env.value.id, source: env.value.source };
  if (env.errors.length) {
    const bad = new Set(env.errors.map((e) => e.field));
    return {
      ok: false,
      id: bad.has('id') ? undefined : named.id,
      source: bad.has('source') ? undefined : named.source,
      errors: env.errors,
    };
  }
  const e = env.value;
  const at = toInstant(e.time);
  if (ms(at) > ms(now) + MAX_CLOCK_SKEW_MS)
    return {
      ok: false,
      ...named,
      errors: [{ field: 'time', message: `time is more than 5 minutes ahead of the ledger's clock (${now})` }],
    };
  const dataResult = commandOf(e, at, now);
  if ('errors' in dataResult) return { ok: false, ...named, errors: dataResult.errors };
  return okUsage(e, canonical, dataResult.command, provenance);
}

/** `application/json; charset=utf-8` and the like as `application/json` (the same event, the same fingerprint). */
function withJsonContentType(event: Record<string, unknown>): Record<string, unknown> {
  const type = event.datacontenttype;
  return typeof type === 'string' && type !== 'application/json' && isJsonContentType(type)
    ? { ...event, datacontenttype: 'application/json' }
    : event;
}

const tooLarge = (): ParsedUsage => ({
  ok: false,
  errors: [{ field: '$', message: `an event may be at most ${MAX_EVENT_BYTES} bytes of JSON` }],
});

function okUsage(e: UsageEnvelopeDto, canonical: string, command: AccountCommand, provenance: Provenance): ParsedUsage {
  return {
    ok: true,
    id: e.id,
    source: e.source,
    item: {
      accountId: e.subject,
      command,
      dedupe: { key: dedupeKey(e.source, e.id), fingerprint: fingerprintOfText(canonical) },
      provenance: { ...provenance, event: { source: e.source, id: e.id, type: e.type } },
    },
  };
}

function commandOf(e: UsageEnvelopeDto, at: Instant, now: Instant): { command: AccountCommand } | { errors: FieldError[] } {
  const ref = { source: e.source, id: e.id };
  switch (e.type) {
    case 'render.completed': {
      const { value: d, errors } = validate(RenderCompletedDto, e.data, 'data.');
      if (d.product === 'avatar_video' && d.engine === undefined)
        errors.push({ field: 'data.engine', message: 'engine is required for avatar_video (unlimited or avatar_iv)' });
      if (d.product !== 'avatar_video' && d.engine !== undefined)
        errors.push({ field: 'data.engine', message: 'engine is only for product avatar_video' });
      if (errors.length) return { errors };
      const kind: UsageKind = d.product === 'avatar_video' ? `avatar_video.${d.engine!}` : d.product;
      return {
        command: {
          type: 'ChargeUsage',
          now,
          usage: {
            ref,
            kind,
            at,
            durationMs: d.durationMs,
            jobId: d.jobId,
            ...(d.resolution ? { resolution: d.resolution } : {}),
            ...(d.watermarked !== undefined ? { watermarked: d.watermarked } : {}),
          },
        },
      };
    }
    case 'render.failed': {
      const { value: d, errors } = validate(RenderFailedDto, e.data, 'data.');
      if (errors.length) return { errors };
      return { command: { type: 'NoteRenderFailed', ref, jobId: d.jobId, at, now } };
    }
    case 'streaming.session.ended': {
      const { value: d, errors } = validate(StreamingSessionEndedDto, e.data, 'data.');
      if (errors.length) return { errors };
      const durationMs = ms(d.endedAt) - ms(d.startedAt);
      if (durationMs <= 0) return { errors: [{ field: 'data.endedAt', message: 'endedAt must be after startedAt' }] };
      if (durationMs > MAX_SESSION_MS)
        return { errors: [{ field: 'data.endedAt', message: `a session may last at most ${MAX_SESSION_MS} ms (7 days)` }] };
      const kind: UsageKind = `streaming.${d.integration}`;
      return { command: { type: 'ChargeUsage', now, usage: { ref, kind, at, durationMs, jobId: d.sessionId } } };
    }
  }
}
