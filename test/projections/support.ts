// Helpers for the projection specs: the databases they run on (PGlite always, the PostgreSQL
// server of DATABASE_URL when set, skipped visibly otherwise), a fresh schema per test, a log
// made by the domain decider, clean rebuilds to compare with, and the service in-process.
import { Response } from 'supertest';
import { readFileSync } from 'fs';
import { join } from 'path';
import { INestApplication } from '@nestjs/common';
import { LEDGER_DATABASE, PgClient, PgliteClient, SqlClient, SqlEventStore } from '@ledger/event-store';
import { readConfig } from '@ledger/service/config';
import { createLedgerApp } from '../../apps/ledger/src/create-app';
import { SqlLogReader } from '@ledger/service/projections/log-reader';
import { compareReadModels, Comparison, rebuildReadModels } from '@ledger/service/projections/replay';
import { appendSyntheticLog } from '../../bench/replay/synthetic-log';
import { ADMIN_ENV, asKey } from '../support/access';

export const DATABASE_URL = process.env.DATABASE_URL;

export interface Target {
  name: 'PGlite' | 'PostgreSQL';
  /** A client of its own (a "process"): PGlite is one in-memory database shared by the file's tests. */
  client(): Promise<SqlClient>;
  /** Service settings for a schema. */
  env(schema: string): Record<string, string>;
  cleanup(): Promise<void>;
}

let pglite: PgliteClient | undefined;
const pgClients: PgClient[] = [];
const schemas: string[] = [];

/** A fresh schema name for a test (dropped by the target's cleanup on PostgreSQL). */
export function freshSchema(prefix = 'rm'): string {
  const s = `${prefix}_${process.pid}_${Date.now().toString(36)}_${schemas.length}`;
  schemas.push(s);
  return s;
}

export const PGLITE: Target = {
  name: 'PGlite',
  async client() {
    pglite ??= await PgliteClient.open();
    return pglite;
  },
  env: (schema) => ({ LEDGER_SCHEMA: schema }),
  async cleanup() {
    await pglite?.close();
    pglite = undefined;
  },
};

export const POSTGRES: Target = {
  name: 'PostgreSQL',
  async client() {
    const c = PgClient.connect(DATABASE_URL!);
    pgClients.push(c);
    return c;
  },
  env: (schema) => ({ DATABASE_URL: DATABASE_URL!, LEDGER_SCHEMA: schema }),
  async cleanup() {
    const admin = PgClient.connect(DATABASE_URL!);
    try {
      const rows = await admin.query<{ nspname: string }>(
        `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rm\\_${process.pid}\\_%' OR nspname LIKE 'svc\\_${process.pid}\\_%'`,
      );
      for (const r of rows) await admin.query(`DROP SCHEMA IF EXISTS ${r.nspname} CASCADE`);
    } finally {
      await admin.close();
    }
    for (const c of pgClients.splice(0)) await c.close().catch(() => undefined);
  },
};

/**
 * describe() for each database: PGlite always, PostgreSQL when DATABASE_URL is set (else the
 * suite is skipped and says why, on stderr too: jest shows nothing for an all-skipped file).
 */
export function eachDatabase(title: string, body: (target: Target) => void): void {
  describe(`${title} (PGlite)`, () => {
    afterAll(() => PGLITE.cleanup());
    body(PGLITE);
  });
  if (DATABASE_URL) {
    describe(`${title} (PostgreSQL)`, () => {
      afterAll(() => POSTGRES.cleanup());
      body(POSTGRES);
    });
  } else {
    process.stderr.write(`${title} (PostgreSQL): skipped, DATABASE_URL not set\n`);
    describe.skip(`${title} (PostgreSQL): skipped, DATABASE_URL not set`, () => body(POSTGRES));
  }
}

/** A store in `schema` holding a synthetic log of about `events` events (the domain decider on mixed plans). */
export async function syntheticStore(client: SqlClient, schema: string, events: number, seed = 7): Promise<SqlEventStore> {
  const store = await SqlEventStore.open(client, { schema, ownsClient: false });
  await appendSyntheticLog(store, { events, seed, accounts: Math.max(8, Math.round(events / 400)), days: 75, batch: 5000 });
  return store;
}

/** Rebuilds `<ledgerSchema>_rm_clean` from the log and compares the live read models with it. */
export async function compareWithCleanRebuild(client: SqlClient, ledgerSchema: string, live = `${ledgerSchema}_rm`): Promise<Comparison> {
  const reader = new SqlLogReader(client, ledgerSchema);
  const rebuilt = `${ledgerSchema}_rm_clean`;
  await rebuildReadModels({ db: client, reader, schema: rebuilt, ledgerSchema, batchSize: 3000 });
  return compareReadModels({ db: client, reader, ledgerSchema, live, rebuilt, attempts: 1 });
}

export const differing = (c: Comparison) => c.tables.filter((t) => !t.same).map((t) => t.table);

// ---- the service in-process ----

export interface Service {
  app: INestApplication;
  http: ReturnType<typeof asKey>;
  db: SqlClient;
  close(): Promise<void>;
}

export const SIMULATION_START = '2026-01-01T00:00:00.000Z';

/** The ledger service on `target` in `schema`, simulated clock from 1 January 2026, with `settings` (LEDGER_PROJECTOR...) besides. */
export async function startService(target: Target, schema: string, settings: Record<string, string> = {}): Promise<Service> {
  const config = readConfig({
    ...ADMIN_ENV,
    LEDGER_SIMULATION: 'true',
    LEDGER_SIMULATION_START: SIMULATION_START,
    ...target.env(schema),
    ...settings,
  });
  const app = await createLedgerApp(config, { logger: ['error'] });
  await app.init();
  return { app, http: asKey(app.getHttpServer()), db: app.get(LEDGER_DATABASE), close: () => app.close() };
}

// ---- the sample month of the demo (apps/ledger/src/demo) ----

export const SAMPLE_ACCOUNTS = [
  { accountId: 'acct_pro', name: 'Pro account', plan: { plan: 'api_pro' } },
  { accountId: 'acct_scale', name: 'Scale account with auto-renew', plan: { plan: 'api_scale', autoRenew: true } },
  { accountId: 'acct_live', name: 'LiveAvatar account with overage', plan: { plan: 'live_avatar', allowOverage: true } },
  { accountId: 'acct_free', name: 'Free account', plan: undefined },
];

/**
 * Plays apps/ledger/src/demo/sample-month.ndjson day by day over HTTP, as the demo does, and ends on 1 February.
 * With `holds`, holds too: on 15 January the demo's two (one captured by its render.completed, one
 * released by its render.failed), on 20 January one left to expire, on 31 January one still open on 1 February.
 */
export async function playSampleMonth(s: Pick<Service, 'http'>, options: { holds?: boolean } = {}): Promise<void> {
  const ok = (res: Response, what: string) => {
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  for (const a of SAMPLE_ACCOUNTS) {
    ok(await s.http.post('/v1/accounts').send({ accountId: a.accountId, name: a.name }), `opening ${a.accountId}`);
    if (a.plan) ok(await s.http.post(`/v1/accounts/${a.accountId}/plans`).send(a.plan), `plan of ${a.accountId}`);
  }
  const lines = readFileSync(join(__dirname, '../../apps/ledger/src/demo/sample-month.ndjson'), 'utf8').split('\n').filter(Boolean);
  for (let day = 1; day <= 31; day++) {
    const start = new Date(Date.UTC(2026, 0, day)).toISOString();
    const end = new Date(Date.UTC(2026, 0, day + 1)).toISOString();
    const now = new Date(Date.UTC(2026, 0, day + 1) - 1).toISOString();
    ok(await s.http.put('/v1/simulation/clock').send({ now }), 'clock');
    const today = lines.filter((l) => {
      const t = JSON.parse(l).time as string;
      return t >= start && t < end;
    });
    if (today.length > 0) {
      const batch = [...today, ...today.filter((_, i) => i % 10 === 0)]; // upstream resends
      ok(await s.http.post('/v1/events').set('content-type', 'application/x-ndjson').send(batch.join('\n')), 'events');
    }
    if (options.holds) await sampleHolds(s, day, now, ok);
  }
  ok(await s.http.put('/v1/simulation/clock').send({ now: '2026-02-01T00:00:00.000Z' }), 'clock');
}

/** The holds of the sample month's `day` (playSampleMonth), placed at `now`. */
async function sampleHolds(s: Pick<Service, 'http'>, day: number, now: string, ok: (res: Response, what: string) => void): Promise<void> {
  const render = { product: 'avatar_video', engine: 'unlimited', estimatedDurationMs: 103_000 };
  const event = (subject: string, type: string, jobId: string, data: Record<string, unknown>) => ({
    specversion: '1.0',
    id: `sample-${type}-${jobId}`,
    source: 'renderer/eu-west-1',
    type,
    time: now,
    subject,
    data: { jobId, product: 'avatar_video', ...data },
  });
  if (day === 15) {
    ok(await s.http.post('/v1/holds').send({ accountId: 'acct_pro', holdKey: 'job_sample_held', ...render }), 'hold');
    const completed = event('acct_pro', 'render.completed', 'job_sample_held', {
      engine: 'unlimited',
      durationMs: 95_000,
      resolution: '1080p',
      watermarked: false,
    });
    ok(await s.http.post('/v1/events').send([completed]), 'capture');
    ok(await s.http.post('/v1/holds').send({ accountId: 'acct_pro', holdKey: 'job_sample_failed', ...render }), 'hold');
    ok(await s.http.post('/v1/events').send([event('acct_pro', 'render.failed', 'job_sample_failed', { reason: 'timeout' })]), 'release');
  }
  if (day === 20) {
    ok(
      await s.http.post('/v1/holds').send({ accountId: 'acct_scale', holdKey: 'job_sample_expiring', ttlMs: 1_800_000, ...render }),
      'hold',
    );
  }
  if (day === 31) {
    const session = { accountId: 'acct_live', holdKey: 'sess_sample_open', integration: 'live_avatar_full', estimatedDurationMs: 600_000 };
    ok(await s.http.post('/v1/holds').send(session), 'hold');
  }
}

/** Exact sums of decimal credit strings (as integers of millionths). */
export const micros = (s: string): bigint => {
  const neg = s.startsWith('-');
  const [w, f = ''] = s.replace('-', '').split('.');
  const v = BigInt(w) * 1_000_000n + BigInt(f.padEnd(6, '0'));
  return neg ? -v : v;
};

export const until = async (check: () => Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
