// The main job on the embedded default: start the ledger on PGlite with simulated time, play
// a bundled month of usage for accounts on different plans, print a statement per account.
import { randomBytes } from 'crypto';
import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { readConfig } from '@ledger/service/config';
import { createLedgerApp } from '../create-app';
import { printStatement } from './statement';

const START = '2026-01-01T00:00:00.000Z';
const END = '2026-02-01T00:00:00.000Z';

const ACCOUNTS = [
  { accountId: 'acct_pro', name: 'Pro account', plan: { plan: 'api_pro' } },
  { accountId: 'acct_scale', name: 'Scale account with auto-renew', plan: { plan: 'api_scale', autoRenew: true } },
  { accountId: 'acct_live', name: 'LiveAvatar account with overage', plan: { plan: 'live_avatar', allowOverage: true } },
  { accountId: 'acct_free', name: 'Free account', plan: undefined },
];

async function main(): Promise<void> {
  const dataDir = process.env.LEDGER_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'ledger-demo-'));
  // The demo is the embedded default: whatever servers the shell points at, it uses none.
  const { DATABASE_URL, KAFKA_BROKERS, LEDGER_WEBHOOK_URL, ...env } = process.env;
  // Access is on, as everywhere: the demo's admin key is a fresh random one unless the shell gives one.
  const adminKey = env.LEDGER_ADMIN_KEY || randomBytes(32).toString('hex');
  const config = readConfig({
    ...env,
    LEDGER_ADMIN_KEY: adminKey,
    LEDGER_STORE: 'pglite',
    LEDGER_DATA_DIR: dataDir,
    LEDGER_SIMULATION: 'true',
    LEDGER_SIMULATION_START: START,
  });
  const app = await createLedgerApp(config, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const as =
    (key: string): Call =>
    async (method, path, body?, type = 'application/json') => {
      const res = await fetch(base + path, {
        method,
        headers: { 'content-type': type, authorization: `Bearer ${key}` },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const json = (await res.json()) as any;
      if (res.status >= 500) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return { status: res.status, json };
    };
  const admin = as(adminKey);
  const keyOf = async (role: string, name: string) => {
    const { status, json } = await admin('POST', '/v1/api-keys', { role, name });
    if (status !== 201) throw new Error(`issuing the demo's ${role} key: ${status} ${JSON.stringify(json)}`);
    return json as { id: string; key: string; prefix: string };
  };
  const producerKey = await keyOf('producer', 'demo renderer');
  const financeKey = await keyOf('finance', 'demo statements');
  const [call, finance] = [as(producerKey.key), as(financeKey.key)];
  console.log(`Usage ledger demo: embedded PGlite store in ${dataDir}, simulated time from ${START}`);
  console.log(
    `Access: the demo made its own keys: admin (LEDGER_ADMIN_KEY, ${env.LEDGER_ADMIN_KEY ? 'from the shell' : 'random for this run'}) opens the accounts and moves the clock, producer ${producerKey.id} (${producerKey.prefix}...) sends the usage and holds, finance ${financeKey.id} (${financeKey.prefix}...) reads the statements.\n`,
  );

  for (const a of ACCOUNTS) {
    await admin('POST', '/v1/accounts', { accountId: a.accountId, name: a.name });
    if (a.plan) await admin('POST', `/v1/accounts/${a.accountId}/plans`, a.plan);
  }

  const lines = readFileSync(join(__dirname, 'sample-month.ndjson'), 'utf8').split('\n').filter(Boolean);
  const counts = { accepted: 0, duplicate: 0, rejected: 0 };
  let holdsShown: string[] = [];
  for (let day = 1; day <= 31; day++) {
    // The clock stands at the day's last millisecond while its events arrive, so none is late.
    const dayEnd = new Date(Date.UTC(2026, 0, day + 1)).toISOString();
    await admin('PUT', '/v1/simulation/clock', { now: new Date(Date.UTC(2026, 0, day + 1) - 1).toISOString() });
    const today = lines.filter((l) => {
      const t = JSON.parse(l).time as string;
      return t < dayEnd && t >= new Date(Date.UTC(2026, 0, day)).toISOString();
    });
    // Upstream resends happen: every 10th event of the day is sent twice.
    const batch = [...today, ...today.filter((_, i) => i % 10 === 0)];
    const { json } = await call('POST', '/v1/events', batch.join('\n'), 'application/x-ndjson');
    for (const r of json.results as { status: keyof typeof counts }[]) counts[r.status]++;
    if (day === 15) holdsShown = await showHolds(call, finance, new Date(Date.UTC(2026, 0, 16) - 1).toISOString());
  }
  // One malformed event, to show it is refused by name and nothing else is affected.
  const bad = await call('POST', '/v1/events', [
    {
      specversion: '1.0',
      id: 'bad-1',
      source: 'renderer/eu-west-1',
      type: 'render.completed',
      time: '2026-01-31T10:00:00.000Z',
      subject: 'acct_pro',
      data: { jobId: 'j', product: 'avatar_video', engine: 'unlimited', durationMs: 0 },
    },
  ]);
  await admin('PUT', '/v1/simulation/clock', { now: END });

  console.log(
    `Ingested ${lines.length} sample events over HTTP as NDJSON, day by day: ${counts.accepted} accepted, ${counts.duplicate} duplicates (resent), ${counts.rejected} rejected.`,
  );
  console.log(
    `A malformed event was answered ${bad.status}: ${bad.json.details[0].errors.map((e: any) => `${e.field}: ${e.message}`).join('; ')}\n`,
  );
  console.log(`Holds on 15 January (acct_pro):\n${holdsShown.map((l) => `  ${l}`).join('\n')}\n`);

  for (const a of ACCOUNTS) await printStatement(finance, a.accountId, a.name, { gap: '2026-01-31T12:00:00.000Z', end: END });
  await app.close();
}

type Call = (method: string, path: string, body?: unknown, type?: string) => Promise<{ status: number; json: any }>;

/** One render held then captured by its render.completed, and one held then released by its render.failed. */
async function showHolds(call: Call, finance: Call, at: string): Promise<string[]> {
  const out: string[] = [];
  const held = async () => (await finance('GET', '/v1/accounts/acct_pro/balances')).json.wallets.api;
  const event = (type: string, jobId: string, data: Record<string, unknown>) => ({
    specversion: '1.0',
    id: `demo-${type}-${jobId}`,
    source: 'renderer/eu-west-1',
    type,
    time: at,
    subject: 'acct_pro',
    data: { jobId, product: 'avatar_video', ...data },
  });
  for (const [jobId, ending] of [
    ['job_demo_held', 'render.completed'],
    ['job_demo_failed', 'render.failed'],
  ] as const) {
    const placed = await call('POST', '/v1/holds', {
      accountId: 'acct_pro',
      holdKey: jobId,
      product: 'avatar_video',
      engine: 'unlimited',
      estimatedDurationMs: 103_000,
    });
    if (placed.status !== 201) {
      out.push(`${jobId}: hold answered ${placed.status} ${JSON.stringify(placed.json.reasons ?? placed.json.error)}`);
      continue;
    }
    const w = await held();
    out.push(`${jobId}: ${placed.json.credits} credits held until ${placed.json.expiresAt} (available ${w.available}, held ${w.held})`);
    await call('POST', '/v1/events', [
      ending === 'render.completed'
        ? event(ending, jobId, { engine: 'unlimited', durationMs: 95_000, resolution: '1080p', watermarked: false })
        : event(ending, jobId, { reason: 'timeout' }),
    ]);
    const after = (await call('GET', '/v1/accounts/acct_pro/holds')).json.items.find((h: any) => h.holdKey === jobId);
    const w2 = await held();
    out.push(`${jobId}: ${ending} -> hold ${after.status} (available ${w2.available}, held ${w2.held})`);
  }
  return out;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
