// A client of the ledger for producers: usage events sent in batches (POST /v1/events, the
// CloudEvents batched mode), holds placed and released (POST /v1/holds, .../release). What the
// ledger refuses is an answer, never an exception: a rejected event has its errors, a refused hold
// its reasons, and what could not be sent says why. Requests are retried with exponential backoff
// on 429 (after its Retry-After), 500, 502, 503, 504 and network errors; never on another 4xx (a
// validation, an authentication: sending it again changes nothing). Retrying is safe: the same
// event again is a duplicate, the same hold request the same hold, a release of a released hold
// that hold.
import type { components } from './api';
import type { UsageEvent } from './events';

export type EventResult = components['schemas']['EventResultDto'];
export type Hold = components['schemas']['HoldDto'];
export type HoldRequest = components['schemas']['PlaceHoldDto'];

/** The ledger's answer for one event, or why it has none (`not_sent`: the batch was refused whole, or every attempt failed). */
export type EventOutcome = EventResult | { status: 'not_sent'; id: string; source: string; error: string; message: string };

/** A refusal of the ledger (its error code and message; `reasons` of a refused hold) or why it could not be asked (`unreachable`). */
export interface Refusal {
  ok: false;
  /** The HTTP status; 0 when no answer came. */
  status: number;
  error: string;
  message: string;
  reasons?: string[];
  details?: unknown[];
}

export type HoldAnswer = { ok: true; hold: Hold; created: boolean } | Refusal;

export interface LedgerClientOptions {
  /** The ledger's address, e.g. `https://ledger.internal`. */
  baseUrl: string;
  /** A key of role producer: sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  batch?: {
    /** Most events in one request (the ledger takes up to LEDGER_MAX_BATCH, 5000). Default 500. */
    maxEvents?: number;
    /** Most bytes of JSON in one request (the ledger takes up to LEDGER_MAX_BODY_BYTES, 10 MiB). Default 1 MiB. */
    maxBytes?: number;
    /** How long an event waits for others to share its request. Default 50 ms. */
    maxDelayMs?: number;
  };
  retry?: {
    /** Attempts of one request, the first included. Default 6. */
    attempts?: number;
    /** The first wait; doubled each attempt (with jitter), up to `maxDelayMs`. Defaults 200 ms and 30 s. */
    initialDelayMs?: number;
    maxDelayMs?: number;
  };
  /** How long one attempt may take before it counts as a network error. Default 30 s. */
  timeoutMs?: number;
  /** The fetch to use (the global one by default). */
  fetch?: typeof fetch;
}

const RETRIED = new Set([429, 500, 502, 503, 504]);

interface Queued {
  event: UsageEvent;
  bytes: number;
  resolve: (outcome: EventOutcome) => void;
}

type Answer = { ok: true; status: number; body: unknown; headers: Headers } | Refusal;

export class LedgerClient {
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly batch: Required<NonNullable<LedgerClientOptions['batch']>>;
  private readonly retry: Required<NonNullable<LedgerClientOptions['retry']>>;
  private readonly timeoutMs: number;
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private timer?: ReturnType<typeof setTimeout>;
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly options: LedgerClientOptions) {
    if (!options.baseUrl) throw new TypeError('LedgerClient: baseUrl is required');
    if (!options.apiKey) throw new TypeError('LedgerClient: apiKey is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.batch = { maxEvents: 500, maxBytes: 1024 * 1024, maxDelayMs: 50, ...options.batch };
    this.retry = { attempts: 6, initialDelayMs: 200, maxDelayMs: 30_000, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    if (this.batch.maxEvents < 1 || this.retry.attempts < 1) throw new TypeError('LedgerClient: maxEvents and attempts must be at least 1');
  }

  /** Queues an event for the next batch; answers once the ledger answered that batch. */
  send(event: UsageEvent): Promise<EventOutcome> {
    return new Promise((resolve) => {
      const bytes = Buffer.byteLength(JSON.stringify(event)) + 1;
      if (this.queue.length > 0 && this.queuedBytes + bytes > this.batch.maxBytes) this.flushQueued();
      this.queue.push({ event, bytes, resolve });
      this.queuedBytes += bytes;
      if (this.queue.length >= this.batch.maxEvents) this.flushQueued();
      else this.timer ??= setTimeout(() => this.flushQueued(), this.batch.maxDelayMs);
    });
  }

  /** Sends these events now (with whatever was queued), in as many batches as the limits need; one outcome per event, in order. */
  async sendAll(events: readonly UsageEvent[]): Promise<EventOutcome[]> {
    const outcomes = events.map((e) => this.send(e));
    this.flushQueued();
    return Promise.all(outcomes);
  }

  /** Sends what is queued; answers when every batch sent so far is answered. */
  async flush(): Promise<void> {
    this.flushQueued();
    await this.sending;
  }

  /** Flushes; the client may still be used after. */
  close(): Promise<void> {
    return this.flush();
  }

  /** Reserves the estimate's price for work about to run (api.md "Holds"); the same request again is the same hold. */
  async hold(request: HoldRequest): Promise<HoldAnswer> {
    const answer = await this.request('/v1/holds', JSON.stringify(request), 'application/json');
    if (!answer.ok) return answer;
    if (answer.status === 200 || answer.status === 201) return { ok: true, hold: answer.body as Hold, created: answer.status === 201 };
    return refusalOf(answer.status, answer.body);
  }

  /** Ends an open hold; a hold already released answers it again, a captured or expired one is a `conflict`. */
  async release(holdId: string): Promise<HoldAnswer> {
    const answer = await this.request(`/v1/holds/${encodeURIComponent(holdId)}/release`, '', 'application/json');
    if (!answer.ok) return answer;
    if (answer.status === 200) return { ok: true, hold: answer.body as Hold, created: false };
    return refusalOf(answer.status, answer.body);
  }

  private flushQueued(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0) {
      let bytes = 0;
      let n = 0;
      while (n < this.queue.length && n < this.batch.maxEvents && (n === 0 || bytes + this.queue[n].bytes <= this.batch.maxBytes))
        bytes += this.queue[n++].bytes;
      const batch = this.queue.splice(0, n);
      this.queuedBytes -= bytes;
      // one request at a time: a batch is not sent before the one before it is answered
      this.sending = this.sending.then(() => this.post(batch));
    }
  }

  private async post(batch: Queued[]): Promise<void> {
    const body = `[${batch.map((q) => JSON.stringify(q.event)).join(',')}]`;
    const answer = await this.request('/v1/events', body, 'application/cloudevents-batch+json');
    const results = answer.ok ? (answer.body as { results?: EventResult[] } | undefined)?.results : undefined;
    if (answer.ok && Array.isArray(results) && results.length === batch.length) {
      batch.forEach((q, i) => q.resolve(results[i]));
      return;
    }
    const refusal = answer.ok ? refusalOf(answer.status, answer.body) : answer;
    for (const q of batch)
      q.resolve({ status: 'not_sent', id: q.event.id, source: q.event.source, error: refusal.error, message: refusal.message });
  }

  /** One request with its retries: the last answer, or why none came. */
  private async request(path: string, body: string, contentType: string): Promise<Answer> {
    let last: Refusal = { ok: false, status: 0, error: 'unreachable', message: 'not sent' };
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      let wait = this.backoff(attempt);
      try {
        const res = await this.fetch(`${this.baseUrl}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.apiKey}`, 'content-type': contentType },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = await res.text();
        const parsed = parseJson(text);
        if (!RETRIED.has(res.status)) return { ok: true, status: res.status, body: parsed, headers: res.headers };
        last = refusalOf(res.status, parsed);
        wait = retryAfterMs(res.headers.get('retry-after')) ?? wait;
      } catch (err) {
        last = { ok: false, status: 0, error: 'unreachable', message: `${this.baseUrl}${path}: ${(err as Error).message}` };
      }
      if (attempt < this.retry.attempts) await sleep(wait);
    }
    return { ...last, message: `after ${this.retry.attempts} attempts: ${last.message}` };
  }

  /** Exponential backoff with jitter: half the doubled delay, plus up to as much again at random. */
  private backoff(attempt: number): number {
    const delay = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** (attempt - 1));
    return delay / 2 + Math.random() * (delay / 2);
  }
}

function refusalOf(status: number, body: unknown): Refusal {
  const b = (body && typeof body === 'object' ? body : {}) as { error?: unknown; message?: unknown; reasons?: unknown; details?: unknown };
  return {
    ok: false,
    status,
    error: typeof b.error === 'string' ? b.error : `http_${status}`,
    message: typeof b.message === 'string' ? b.message : `HTTP ${status}`,
    ...(Array.isArray(b.reasons) ? { reasons: b.reasons.map(String) } : {}),
    ...(Array.isArray(b.details) ? { details: b.details } : {}),
  };
}

/** Retry-After in seconds or as an HTTP date (RFC 9110), in ms from now. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
