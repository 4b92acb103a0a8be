// The demo's month, for the demo (main.ts) and for the tests that want the same ledger (the
// dashboard's browser test): the ledger on PGlite with simulated time, four accounts on different
// plans, a bundled month of usage played day by day over HTTP, holds on 15 January.
import { randomBytes } from 'crypto';
import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { INestApplication } from '@nestjs/common';
import { readConfig } from '@ledger/service/config';
import { EventOutcome, LedgerClient, renderCompleted, renderFailed, UsageEvent } from '@usage-ledger/producer-client';
import { createLedgerApp } from '../create-app';

export const DEMO_START = '2026-01-01T00:00:00.000Z';
export const DEMO_END = '2026-02-01T00:00:00.000Z';

export const DEMO_ACCOUNTS = [
  { accountId: 'acct_pro', name: 'Pro account', plan: { plan: 'api_pro' } },
  { accountId: 'acct_scale', name: 'Scale account with auto-renew', plan: { plan: 'api_scale', autoRenew: true } },
  { accountId: 'acct_live', name: 'LiveAvatar account with overage', plan: { plan: 'live_avatar', allowOverage: true } },
  { accountId: 'acct_free', name: 'Free account', plan: undefined },
];

/** One call of the ledger's HTTP API with the demo's admin key; a 5xx throws. */
export type Call = (method: string, path: string, body?: unknown, type?: string) => Promise<{ status: number; json: any }>;

export interface DemoLedger {
  app: INestApplication;
  /** http://127.0.0.1:<port> */
  base: string;
  dataDir: string;
  /** The admin key the ledger was started with (LEDGER_ADMIN_KEY, or a fresh one). */
  adminKey: string;
  /** Calls with the admin key. */
  call: Call;
  /** Calls with another key. */
  as(key: string): Call;
  close(): Promise<void>;
}

/**
 * The ledger on PGlite (in `dataDir`, else a fresh temporary directory) with the simulated clock at
 * 1 January 2026, listening on 127.0.0.1:`port` (0: any free port). Whatever servers the
 * environment points at, it uses none. The admin key is LEDGER_ADMIN_KEY, or a fresh secret: every
 * call sends it, so the demo runs the same with access checks on.
 */
export async function startDemoLedger(
  options: { port?: number; dataDir?: string; logger?: false | ('error' | 'warn')[] } = {},
): Promise<DemoLedger> {
  const dataDir = options.dataDir ?? process.env.LEDGER_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'ledger-demo-'));
  const { DATABASE_URL: _db, KAFKA_BROKERS: _kafka, LEDGER_WEBHOOK_URL: _hook, ...env } = process.env;
  const adminKey = env.LEDGER_ADMIN_KEY || `demo-admin-${randomBytes(18).toString('base64url')}`;
  const config = readConfig({
    ...env,
    LEDGER_STORE: 'pglite',
    LEDGER_DATA_DIR: dataDir,
    LEDGER_SIMULATION: 'true',
    LEDGER_SIMULATION_START: DEMO_START,
    LEDGER_ADMIN_KEY: adminKey,
  });
  const app = await createLedgerApp(config, { logger: options.logger ?? ['error', 'warn'] });
  await app.listen(options.port ?? 0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const as =
    (key: string): Call =>
    async (method, path, body, type = 'application/json') => {
      const res = await fetch(base + path, {
        method,
        headers: { 'content-type': type, authorization: `Bearer ${key}` },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      const json = text ? JSON.parse(text) : undefined;
      if (res.status >= 500) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return { status: res.status, json };
    };
  return { app, base, dataDir, adminKey, call: as(adminKey), as, close: () => app.close() };
}

export interface DemoMonth {
  events: number;
  counts: { accepted: number; duplicate: number; rejected: number };
  /** The answer to one malformed event. */
  bad: EventOutcome;
  /** What happened to the two holds of 15 January, a line each. */
  holds: string[];
  /** The keys the month was played with: a producer sent the usage and the holds, finance read the balances. */
  keys: { producer: IssuedKey; finance: IssuedKey };
}

export interface IssuedKey {
  id: string;
  prefix: string;
  key: string;
}

/**
 * Opens the demo's accounts, plays the sample month day by day (resending every 10th event) and
 * moves the clock to 1 February. Each caller uses the key of its role: admin opens the accounts
 * and moves the clock, a producer key (issued here) sends the usage and holds, a finance key reads.
 */
export async function playDemoMonth(ledger: Pick<DemoLedger, 'call' | 'as' | 'base'>): Promise<DemoMonth> {
  const admin = ledger.call;
  const keys = { producer: await issued(admin, 'producer', 'demo renderer'), finance: await issued(admin, 'finance', 'demo statements') };
  // The renderer's side speaks through the producer client (libs/producer-client), as a producer would.
  const producer = new LedgerClient({ baseUrl: ledger.base, apiKey: keys.producer.key });
  const finance = ledger.as(keys.finance.key);
  for (const a of DEMO_ACCOUNTS) {
    await admin('POST', '/v1/accounts', { accountId: a.accountId, name: a.name });
    if (a.plan) await admin('POST', `/v1/accounts/${a.accountId}/plans`, a.plan);
  }

  const lines = readFileSync(join(__dirname, 'sample-month.ndjson'), 'utf8').split('\n').filter(Boolean);
  const counts = { accepted: 0, duplicate: 0, rejected: 0 };
  let holds: string[] = [];
  for (let day = 1; day <= 31; day++) {
    // The clock stands at the day's last millisecond while its events arrive, so none is late.
    const dayEnd = new Date(Date.UTC(2026, 0, day + 1)).toISOString();
    await admin('PUT', '/v1/simulation/clock', { now: new Date(Date.UTC(2026, 0, day + 1) - 1).toISOString() });
    const today = lines.filter((l) => {
      const t = JSON.parse(l).time as string;
      return t < dayEnd && t >= new Date(Date.UTC(2026, 0, day)).toISOString();
    });
    // Upstream resends happen: every 10th event of the day is sent twice.
    const batch = [...today, ...today.filter((_, i) => i % 10 === 0)].map((l) => JSON.parse(l) as UsageEvent);
    for (const r of await producer.sendAll(batch)) {
      if (r.status === 'not_sent') throw new Error(`the demo's usage was not sent: ${r.error}: ${r.message}`);
      counts[r.status]++;
    }
    if (day === 15) holds = await showHolds(producer, finance, new Date(Date.UTC(2026, 0, 16) - 1).toISOString());
  }
  // One malformed event, to show it is refused by name and nothing else is affected.
  const [bad] = await producer.sendAll([
    {
      specversion: '1.0',
      id: 'bad-1',
      source: 'renderer/eu-west-1',
      type: 'render.completed',
      time: '2026-01-31T10:00:00.000Z',
      subject: 'acct_pro',
      data: { jobId: 'j', product: 'avatar_video', engine: 'unlimited', durationMs: 0 },
    } as UsageEvent,
  ]);
  await producer.close();
  await admin('PUT', '/v1/simulation/clock', { now: DEMO_END });
  return { events: lines.length, counts, bad, holds, keys };
}

/** One render held then captured by its render.completed, and one held then released by its render.failed. */
async function showHolds(producer: LedgerClient, finance: Call, at: string): Promise<string[]> {
  const out: string[] = [];
  const held = async () => (await finance('GET', '/v1/accounts/acct_pro/balances')).json.wallets.api;
  const render = { accountId: 'acct_pro', source: 'renderer/eu-west-1', product: 'avatar_video', engine: 'unlimited' } as const;
  for (const [jobId, ending] of [
    ['job_demo_held', 'render.completed'],
    ['job_demo_failed', 'render.failed'],
  ] as const) {
    const placed = await producer.hold({
      accountId: 'acct_pro',
      holdKey: jobId,
      product: 'avatar_video',
      engine: 'unlimited',
      estimatedDurationMs: 103_000,
    });
    if (!placed.ok) {
      out.push(`${jobId}: hold answered ${placed.status} ${JSON.stringify(placed.reasons ?? placed.error)}`);
      continue;
    }
    const w = await held();
    out.push(`${jobId}: ${placed.hold.credits} credits held until ${placed.hold.expiresAt} (available ${w.available}, held ${w.held})`);
    await producer.send(
      ending === 'render.completed'
        ? renderCompleted({ ...render, jobId, durationMs: 95_000, resolution: '1080p', watermarked: false, endedAt: at })
        : renderFailed({ accountId: 'acct_pro', source: render.source, jobId, product: 'avatar_video', reason: 'timeout', failedAt: at }),
    );
    const after = (await finance('GET', '/v1/accounts/acct_pro/holds')).json.items.find((h: any) => h.holdKey === jobId);
    const w2 = await held();
    out.push(`${jobId}: ${ending} -> hold ${after.status} (available ${w2.available}, held ${w2.held})`);
  }
  return out;
}

/** A key issued by POST /v1/api-keys with the admin key `call` sends. */
async function issued(call: Call, role: string, name: string, accountId?: string): Promise<IssuedKey> {
  const res = await call('POST', '/v1/api-keys', { role, name, ...(accountId ? { accountId } : {}) });
  if (res.status !== 201) throw new Error(`POST /v1/api-keys (${role}): ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as IssuedKey;
}

/** The secret of a new key (for the dashboard's sign-in). */
export const issueKey = async (call: Call, role: string, name: string, accountId?: string): Promise<string> =>
  (await issued(call, role, name, accountId)).key;
