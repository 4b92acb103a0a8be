// Helpers for the process-manager specs: the ledger service in-process on each backend (PGlite
// persisted to a fresh directory; the PostgreSQL server of DATABASE_URL with a fresh schema per
// test, skipped visibly without it), driven over HTTP.
import { Response } from 'supertest';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { INestApplication } from '@nestjs/common';
import { AccountEvent, decodeAccountEvent, isAccountEventType } from '@ledger/domain';
import { EVENT_STORE, EventStore, PgClient } from '@ledger/event-store';
import { accountStream } from '@ledger/domain';
import { readConfig } from '@ledger/service/config';
import { createLedgerApp } from '../../apps/ledger/src/create-app';
import { ClockRunner } from '@ledger/service/process/clock-runner';
import { ADMIN_ENV, asKey } from '../support/access';

export const START = '2026-01-01T00:00:00.000Z';
export const DATABASE_URL = process.env.DATABASE_URL;

/** A place for one test's data: the env that points a service at it, and its cleanup. */
export interface Place {
  backend: 'pglite' | 'postgres';
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export interface Backend {
  name: 'pglite' | 'postgres';
  /** Why it cannot run here (it is then skipped, saying so). */
  unavailable?: string;
  place(): Place;
}

let seq = 0;
export const BACKENDS: Backend[] = [
  {
    name: 'pglite',
    place() {
      const dir = mkdtempSync(join(tmpdir(), 'ledger-process-'));
      return {
        backend: 'pglite',
        env: { LEDGER_STORE: 'pglite', LEDGER_DATA_DIR: dir },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    ...(DATABASE_URL ? {} : { unavailable: 'DATABASE_URL not set' }),
    place() {
      const schema = `pm_test_${process.pid}_${Date.now().toString(36)}_${++seq}`;
      return {
        backend: 'postgres',
        env: { LEDGER_STORE: 'postgres', DATABASE_URL: DATABASE_URL!, LEDGER_SCHEMA: schema },
        async cleanup() {
          const client = PgClient.connect(DATABASE_URL!);
          try {
            await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          } finally {
            await client.close();
          }
        },
      };
    },
  },
];

/**
 * describe() once per backend; a backend that cannot run here is a describe.skip whose title
 * says why (and the reason goes to stderr, which jest shows even for a fully skipped file).
 */
export function describeEachBackend(title: string, body: (backend: Backend) => void): void {
  for (const b of BACKENDS) {
    const name = `${title} [${b.name}]`;
    if (b.unavailable) {
      process.stderr.write(`${name}: skipped, ${b.unavailable}\n`);
      describe.skip(`${name}: skipped, ${b.unavailable}`, () => body(b));
    } else describe(name, () => body(b));
  }
}

export interface Ledger {
  app: INestApplication;
  http: ReturnType<typeof asKey>;
  runner: ClockRunner;
  store: EventStore;
  close(): Promise<void>;
}

/** The service on `place`, simulated clock at `start` (default 1 January 2026). */
export async function startLedger(place: Place, env: Record<string, string> = {}): Promise<Ledger> {
  const config = readConfig({
    ...ADMIN_ENV,
    LEDGER_SIMULATION: 'true',
    LEDGER_SIMULATION_START: START,
    LEDGER_PROCESS_LEASE_MS: '2000',
    ...place.env,
    ...env,
  });
  const app = await createLedgerApp(config, { logger: process.env.LEDGER_TEST_LOGS ? ['error', 'warn', 'log'] : false });
  await app.init();
  let closed = false;
  return {
    app,
    http: asKey(app.getHttpServer()),
    runner: app.get(ClockRunner),
    store: app.get(EVENT_STORE),
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

// ---- the API ----

const ok = (what: string, res: Response, status = [200, 201]) => {
  if (!status.includes(res.status)) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

export async function openAccount(l: Ledger, accountId: string, plan?: Record<string, unknown>): Promise<void> {
  ok(`opening ${accountId}`, await l.http.post('/v1/accounts').send({ accountId, name: accountId }));
  if (plan) ok(`plan of ${accountId}`, await l.http.post(`/v1/accounts/${accountId}/plans`).send(plan));
}

export const setClock = (l: Ledger, now: string) => l.http.put('/v1/simulation/clock').send({ now });

export async function moveClock(l: Ledger, now: string): Promise<void> {
  ok(`moving the clock to ${now}`, await setClock(l, now), [200]);
}

let eventSeq = 0;
/** An unlimited-engine avatar video worth exactly `credits` credits (a multiple of 0.5). */
export function video(subject: string, time: string, credits: number, id = `v${++eventSeq}-${Date.now().toString(36)}`) {
  const blocks = Math.round(credits * 2);
  return {
    specversion: '1.0',
    id,
    source: 'renderer/test',
    type: 'render.completed',
    time: new Date(time).toISOString(),
    subject,
    datacontenttype: 'application/json',
    data: {
      jobId: `job-${id}`,
      product: 'avatar_video',
      engine: 'unlimited',
      durationMs: (blocks - 1) * 30_000 + 1_000,
      resolution: '1080p',
      watermarked: false,
    },
  };
}

/** A LiveAvatar session of `minutes` (Full SDK: 2 credits a minute; Custom SDK: 1). */
export function liveSession(
  subject: string,
  time: string,
  minutes: number,
  integration: 'live_avatar_full' | 'live_avatar_custom',
  id = `s${++eventSeq}-${Date.now().toString(36)}`,
) {
  const ended = Date.parse(time);
  return {
    specversion: '1.0',
    id,
    source: 'gateway/test',
    type: 'streaming.session.ended',
    time: new Date(time).toISOString(),
    subject,
    datacontenttype: 'application/json',
    data: {
      sessionId: `sess-${id}`,
      integration,
      startedAt: new Date(ended - minutes * 60_000).toISOString(),
      endedAt: new Date(ended).toISOString(),
    },
  };
}

export async function postEvents(l: Ledger, events: unknown[]): Promise<void> {
  const body = ok(
    'posting events',
    await l.http.post('/v1/events').set('content-type', 'application/json').send(JSON.stringify(events)),
    [200],
  );
  const bad = body.results.filter((r: any) => r.status !== 'accepted');
  if (bad.length) throw new Error(`events not accepted: ${JSON.stringify(bad)}`);
}

export const balances = async (l: Ledger, accountId: string, asOf?: string) =>
  ok(`balances of ${accountId}`, await l.http.get(`/v1/accounts/${accountId}/balances`).query(asOf ? { asOf } : {}), [200]);

export const entries = async (l: Ledger, accountId: string): Promise<any[]> =>
  ok(`entries of ${accountId}`, await l.http.get(`/v1/accounts/${accountId}/entries`), [200]).entries;

export const invoices = async (l: Ledger, accountId: string): Promise<any[]> =>
  ok(`invoices of ${accountId}`, await l.http.get('/v1/invoices').query({ accountId }), [200]).invoices;

export const notifications = async (l: Ledger, accountId: string): Promise<any[]> =>
  ok(`notifications of ${accountId}`, await l.http.get(`/v1/accounts/${accountId}/notifications`).query({ limit: 5000 }), [200])
    .notifications;

/** An account's events as the domain has them, straight from the store. */
export async function accountEvents(store: EventStore, accountId: string): Promise<AccountEvent[]> {
  return (await store.readStream(accountStream(accountId)))
    .filter((r) => isAccountEventType(r.type))
    .map((r) => decodeAccountEvent(r.type, r.data));
}

/**
 * What exactly-once means for one account's history: each lot expired or forfeited at most once,
 * each period started and ended at most once, invoice numbers 1..n without gaps or repeats, at
 * most one first overage invoice per period, at most one renewal per period, each hold ended at most once.
 */
export function checkExactlyOnce(events: AccountEvent[]): void {
  const count = (keys: string[]) => keys.filter((k, i) => keys.indexOf(k) !== i);
  expect(count(events.flatMap((e) => (e.type === 'LotExpired' || e.type === 'LotForfeited' ? [e.data.lotId] : [])))).toEqual([]);
  expect(count(events.flatMap((e) => (e.type === 'PeriodStarted' ? [e.data.periodId] : [])))).toEqual([]);
  expect(count(events.flatMap((e) => (e.type === 'PeriodEnded' ? [e.data.periodId] : [])))).toEqual([]);
  expect(count(events.flatMap((e) => (e.type === 'CreditsGranted' ? [e.data.lotId] : [])))).toEqual([]);
  expect(
    count(
      events.flatMap((e) => (e.type === 'HoldCaptured' || e.type === 'HoldReleased' || e.type === 'HoldExpired' ? [e.data.holdId] : [])),
    ),
  ).toEqual([]);
  const numbers = events.flatMap((e) => (e.type === 'InvoiceIssued' ? [e.data.invoice.number] : []));
  expect(numbers.map((n) => Number(n.slice(-4)))).toEqual(numbers.map((_, i) => i + 1));
  expect(
    count(
      events.flatMap((e) =>
        e.type === 'InvoiceIssued' && e.data.invoice.kind === 'overage' && !e.data.invoice.supplements ? [e.data.invoice.periodId] : [],
      ),
    ),
  ).toEqual([]);
}

/** Days from `from` (inclusive) to `to` (exclusive), as ISO instants at midnight UTC. */
export function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += 86_400_000) out.push(new Date(t).toISOString());
  return out;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` resolves truthy (polls every 25 ms), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** The ledgers and places one test starts, closed and cleaned up after it (register in a describe). */
export function useLedgers(backend: Backend) {
  const places: Place[] = [];
  const ledgers: Ledger[] = [];
  afterEach(async () => {
    for (const l of ledgers.splice(0)) await l.close();
    for (const p of places.splice(0)) await p.cleanup();
  });
  return {
    start: async (place: Place, env: Record<string, string> = {}): Promise<Ledger> => {
      const l = await startLedger(place, env);
      ledgers.push(l);
      return l;
    },
    newPlace: (): Place => {
      const p = backend.place();
      places.push(p);
      return p;
    },
  };
}
