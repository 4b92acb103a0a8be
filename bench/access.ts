// Benchmark 7: the cost of the access check per request. The same read (GET balances of one
// account) against two services started in the same run on the embedded default: one with
// LEDGER_AUTH=off, one checking a finance key (hash, key-book lookup, route rule, lastUsedAt).
// Also the cost of the slow path: the same read with an account key (the path check on top).
//
//   BENCH_ACCESS=5000 node -r ./deploy/register.js bench/access.ts
import { call, callJson, pool, startService } from './lib/http';
import { envInt, fmt, log, now, percentile, perSecond, ResultRow, writeResult } from './lib/report';
import { nodeFlagsOf } from './lib/services';

const BENCH = 'access';
const REQUESTS = envInt('BENCH_ACCESS', 5_000);
const CONCURRENCY = envInt('BENCH_ACCESS_CONCURRENCY', 4);
const START = '2026-03-01T00:00:00.000Z';
const COMMAND = `BENCH_ACCESS=${REQUESTS} node -r ./deploy/register.js bench/access.ts`;
const ACCOUNT = 'acct_access';

async function timed(port: number, key: string | undefined) {
  const latencies: number[] = [];
  const t = now();
  await pool(
    Array.from({ length: REQUESTS }, (_, i) => i),
    CONCURRENCY,
    async () => {
      const t0 = now();
      const a = await call(port, 'GET', `/v1/accounts/${ACCOUNT}/balances`, undefined, undefined, key);
      if (a.status !== 200) throw new Error(`GET balances: ${a.status} ${a.body.slice(0, 200)}`);
      latencies.push(now() - t0);
    },
  );
  const ms = now() - t;
  latencies.sort((a, b) => a - b);
  return { ms, rate: perSecond(REQUESTS, ms), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main(): Promise<void> {
  const env = { LEDGER_STORE: 'pglite', LEDGER_SIMULATION: 'true', LEDGER_SIMULATION_START: START, LEDGER_PROCESS: 'false' };
  const open = await startService({ ...env, LEDGER_AUTH: 'off' }, nodeFlagsOf('ledger'));
  const checked = await startService(env, nodeFlagsOf('ledger'));
  try {
    const keys: Record<string, string> = {};
    for (const s of [open, checked]) {
      await callJson(s.port, 'POST', '/v1/accounts', { accountId: ACCOUNT, name: ACCOUNT });
      await callJson(s.port, 'POST', `/v1/accounts/${ACCOUNT}/plans`, { plan: 'api_scale' });
    }
    keys.finance = (await callJson(checked.port, 'POST', '/v1/api-keys', { role: 'finance', name: 'bench' })).key;
    keys.account = (await callJson(checked.port, 'POST', '/v1/api-keys', { role: 'account', name: 'bench', accountId: ACCOUNT })).key;
    // Warm-up of both (caches, JIT), then alternate so that a disturbance hits both alike.
    await timed(open.port, undefined);
    await timed(checked.port, keys.finance);
    const off = await timed(open.port, undefined);
    const finance = await timed(checked.port, keys.finance);
    const account = await timed(checked.port, keys.account);
    const off2 = await timed(open.port, undefined);
    const floor = off.p50 <= off2.p50 ? off : off2;
    const perRequestUs = (x: { ms: number }, base: { ms: number }) => ((x.ms - base.ms) / REQUESTS) * 1000 * CONCURRENCY;
    log(BENCH, `auth off: ${fmt(off.rate)}/s p50 ${fmt(off.p50, 2)} ms; again ${fmt(off2.rate)}/s p50 ${fmt(off2.p50, 2)} ms`);
    log(
      BENCH,
      `finance key: ${fmt(finance.rate)}/s p50 ${fmt(finance.p50, 2)} ms; account key: ${fmt(account.rate)}/s p50 ${fmt(account.p50, 2)} ms`,
    );
    const rows: ResultRow[] = [
      {
        what: 'Access check per request: GET /v1/accounts/{id}/balances with a finance key, against the same service with LEDGER_AUTH=off (PGlite, own process)',
        workload: `${fmt(REQUESTS)} requests, ${CONCURRENCY} at a time, keep-alive`,
        figure: `${fmt(finance.rate)} requests/s; p50 ${fmt(finance.p50, 2)} ms, p99 ${fmt(finance.p99, 2)} ms (account key: ${fmt(account.rate)}/s, p50 ${fmt(account.p50, 2)} ms)`,
        limit: `LEDGER_AUTH=off, the better of two runs: ${fmt(floor.rate)}/s; p50 ${fmt(floor.p50, 2)} ms, p99 ${fmt(floor.p99, 2)} ms`,
        ratio: `${fmt((finance.rate / floor.rate) * 100)} % of the unchecked throughput; about ${fmt(perRequestUs(finance, floor))} µs of one worker's time per request`,
        command: COMMAND,
        verdict: 'n/a',
      },
    ];
    writeResult({ bench: BENCH, rows, raw: { off, off2, finance, account }, notes: [] });
    for (const r of rows) log(BENCH, `${r.what}: ${r.figure} | ${r.limit} | ${r.ratio}`);
  } finally {
    await open.stop();
    await checked.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
