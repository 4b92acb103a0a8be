// Helpers for the end-to-end specs: the ledger service in-process (embedded PGlite, simulated
// clock), driven over HTTP with supertest, and builders for the usage events of events.md.
import { randomUUID } from 'crypto';
import { INestApplication } from '@nestjs/common';
import { readConfig } from '@ledger/service/config';
import { createLedgerApp } from '../../apps/ledger/src/create-app';
import { ADMIN_ENV, asKey } from '../support/access';

export const SIMULATION_START = '2026-01-01T00:00:00Z';

export interface Ledger {
  app: INestApplication;
  http: ReturnType<typeof asKey>;
  close(): Promise<void>;
}

/**
 * Starts the service on an in-memory PGlite store with the simulated clock at `start`
 * (pass LEDGER_DATA_DIR in `env` to persist to a directory).
 */
export async function startLedger(env: Record<string, string> = {}): Promise<Ledger> {
  const config = readConfig({ ...ADMIN_ENV, LEDGER_SIMULATION: 'true', LEDGER_SIMULATION_START: SIMULATION_START, ...env });
  const app = await createLedgerApp(config, { logger: false });
  await app.init();
  const http = asKey(app.getHttpServer());
  return { app, http, close: () => app.close() };
}

// ---- usage events (CloudEvents 1.0 envelopes) ----

export interface Envelope {
  specversion: string;
  id: string;
  source: string;
  type: string;
  time: string;
  subject: string;
  datacontenttype?: string;
  data: Record<string, unknown>;
}

interface Common {
  subject: string;
  /** Event time (when the usage ended). */
  time: string;
  id?: string;
  source?: string;
}

const envelope = (type: string, c: Common, data: Record<string, unknown>): Envelope => ({
  specversion: '1.0',
  id: c.id ?? randomUUID(),
  source: c.source ?? 'renderer/eu-west-1',
  type,
  time: new Date(c.time).toISOString(),
  subject: c.subject,
  datacontenttype: 'application/json',
  data,
});

/** A finished render; avatar video on the unlimited engine unless told otherwise. */
export const renderCompleted = (
  c: Common & { durationMs: number; product?: string; engine?: string | null; resolution?: string; watermarked?: boolean; jobId?: string },
): Envelope => {
  const product = c.product ?? 'avatar_video';
  const engine = c.engine === null ? undefined : (c.engine ?? (product === 'avatar_video' ? 'unlimited' : undefined));
  return envelope('render.completed', c, {
    jobId: c.jobId ?? `job_${randomUUID().slice(0, 8)}`,
    product,
    ...(engine ? { engine } : {}),
    durationMs: c.durationMs,
    resolution: c.resolution ?? '1080p',
    watermarked: c.watermarked ?? false,
  });
};

/** A streaming session that lasted `durationMs` and ended at `time`. */
export const streamingEnded = (c: Common & { durationMs: number; integration?: string; sessionId?: string }): Envelope => {
  const ended = Date.parse(c.time);
  return envelope(
    'streaming.session.ended',
    { source: 'gateway/eu-west-1', ...c },
    {
      sessionId: c.sessionId ?? `sess_${randomUUID().slice(0, 8)}`,
      integration: c.integration ?? 'api',
      startedAt: new Date(ended - c.durationMs).toISOString(),
      endedAt: new Date(ended).toISOString(),
    },
  );
};

/** A deep copy with `path` (dot separated) set to `value`, or removed when `value` is undefined. */
export function withField(e: Envelope, path: string, value: unknown): Envelope {
  const copy = JSON.parse(JSON.stringify(e));
  const keys = path.split('.');
  const parent = keys.slice(0, -1).reduce((o, k) => o[k], copy);
  const last = keys[keys.length - 1];
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return copy;
}

// ---- the API, one call each ----

export const postEvents = (l: Ledger, events: unknown[], requestId?: string) => {
  const req = l.http.post('/v1/events').set('content-type', 'application/json');
  if (requestId) req.set('x-request-id', requestId);
  return req.send(JSON.stringify(events));
};

/** NDJSON: each element is a line (strings are sent as they are, anything else as JSON). */
export const postNdjson = (l: Ledger, lines: unknown[]) =>
  l.http
    .post('/v1/events')
    .set('content-type', 'application/x-ndjson')
    .send(lines.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n') + '\n');

export async function openAccount(l: Ledger, accountId: string, name = `Account ${accountId}`): Promise<void> {
  const res = await l.http.post('/v1/accounts').send({ accountId, name });
  if (res.status !== 201) throw new Error(`opening ${accountId}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function startPlan(l: Ledger, accountId: string, body: Record<string, unknown>): Promise<void> {
  const res = await l.http.post(`/v1/accounts/${accountId}/plans`).send(body);
  if (res.status !== 201) throw new Error(`starting ${JSON.stringify(body)} on ${accountId}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** An account on api_pro from the current simulated instant. */
export async function proAccount(l: Ledger, accountId: string): Promise<void> {
  await openAccount(l, accountId);
  await startPlan(l, accountId, { plan: 'api_pro' });
}

export async function setClock(l: Ledger, now: string) {
  return l.http.put('/v1/simulation/clock').send({ now });
}

export async function moveClock(l: Ledger, now: string): Promise<void> {
  const res = await setClock(l, now);
  if (res.status !== 200) throw new Error(`moving the clock to ${now}: ${res.status} ${JSON.stringify(res.body)}`);
}

export interface WalletView {
  plan: string;
  available: string;
  /** Credits reserved by open holds. */
  held: string;
  overage: string;
  uncovered: string;
  exhausted: boolean;
  lots: { lotId: string; granted: string; remaining: string; issuedAt: string; expiresAt: string }[];
}

export async function balances(
  l: Ledger,
  accountId: string,
  asOf?: string,
): Promise<{ accountId: string; asOf: string; wallets: Record<string, WalletView> }> {
  const res = await l.http.get(`/v1/accounts/${accountId}/balances`).query(asOf ? { asOf } : {});
  if (res.status !== 200) throw new Error(`balances of ${accountId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Available credits of a wallet (api unless told), as the decimal string of the API. */
export const available = async (l: Ledger, accountId: string, wallet = 'api', asOf?: string): Promise<string> =>
  (await balances(l, accountId, asOf)).wallets[wallet].available;

export interface EntryView {
  kind: string;
  at: string;
  wallet: string;
  credits: string;
  provenance: Record<string, any>;
  usage?: { source: string; id: string; kind: string; durationMs: number; priced: string };
  [more: string]: unknown;
}

export async function entries(l: Ledger, accountId: string): Promise<EntryView[]> {
  const res = await l.http.get(`/v1/accounts/${accountId}/entries`);
  if (res.status !== 200) throw new Error(`entries of ${accountId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.entries;
}

export const charges = async (l: Ledger, accountId: string) => (await entries(l, accountId)).filter((e) => e.kind === 'charge');

/** Fields named by an error answer's details for the event `id`. */
export const fieldsOf = (body: any, id: string): string[] =>
  (body.details ?? []).filter((d: any) => d.id === id).flatMap((d: any) => (d.errors ?? []).map((e: any) => e.field));

/** Credits as exact decimal strings: adds micro-credit amounts without floating point. */
export const sumCredits = (...xs: string[]): string => {
  const micro = xs.reduce((t, x) => {
    const [i, f = ''] = x.split('.');
    return t + BigInt(i) * 1_000_000n + BigInt((f + '000000').slice(0, 6));
  }, 0n);
  const whole = micro / 1_000_000n;
  const frac = (micro % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
};

export const MINUTE = 60_000;
const plusMs = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/**
 * A Pro account opened at the simulated clock's instant, the clock moved an hour on; the answer
 * gives the instant `minutes` after the opening (events in that hour are neither late nor ahead).
 */
export async function proAccountAnHourOld(ledger: Ledger, accountId: string): Promise<(minutes: number) => string> {
  const opened = (await ledger.http.get('/v1/simulation/clock')).body.now as string;
  await proAccount(ledger, accountId);
  await moveClock(ledger, plusMs(opened, 60 * MINUTE));
  return (minutes) => plusMs(opened, minutes * MINUTE);
}
