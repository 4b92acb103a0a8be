// Benchmark 6: the cost of a hold round trip (POST /v1/holds, then the render.completed of its
// jobId through POST /v1/events, which captures it), against the same render without a hold (one
// POST /v1/events), in the same run, on the embedded default (PGlite in memory). The service runs
// as its own process (simulated clock); each round trip is one account's, BENCH_HOLDS_CONCURRENCY
// at a time over keep-alive connections on 127.0.0.1.
//
//   BENCH_HOLDS=2000 node -r ./deploy/register.js bench/holds.ts
import { call, callJson, pool, startService } from './lib/http';
import { envInt, fmt, log, now, percentile, perSecond, ResultRow, writeResult } from './lib/report';
import { nodeFlagsOf } from './lib/services';

const BENCH = 'holds';
const ROUNDS = envInt('BENCH_HOLDS', 2_000);
const ACCOUNTS = envInt('BENCH_HOLDS_ACCOUNTS', 200);
const CONCURRENCY = envInt('BENCH_HOLDS_CONCURRENCY', 4);
const START = '2026-03-01T00:00:00.000Z';
const COMMAND = `BENCH_HOLDS=${ROUNDS} BENCH_HOLDS_ACCOUNTS=${ACCOUNTS} node -r ./deploy/register.js bench/holds.ts`;

const render = (accountId: string, jobId: string, id: string) =>
  JSON.stringify([
    {
      specversion: '1.0',
      id,
      source: 'bench/holds',
      type: 'render.completed',
      time: START,
      subject: accountId,
      datacontenttype: 'application/json',
      data: { jobId, product: 'avatar_video', engine: 'unlimited', durationMs: 59_000, resolution: '1080p', watermarked: false },
    },
  ]);

const must = async (what: string, p: Promise<{ status: number; body: string }>, statuses: number[]) => {
  const a = await p;
  if (!statuses.includes(a.status)) throw new Error(`${what}: ${a.status} ${a.body.slice(0, 300)}`);
};

async function main(): Promise<void> {
  const service = await startService(
    { LEDGER_STORE: 'pglite', LEDGER_SIMULATION: 'true', LEDGER_SIMULATION_START: START, LEDGER_PROCESS: 'false' },
    [...nodeFlagsOf('ledger'), ...(process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', '--cpu-prof-dir=bench/.work/profiles/holds'] : [])],
  );
  try {
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `acct_h${i}`);
    await pool(accounts, 8, async (accountId) => {
      await callJson(service.port, 'POST', '/v1/accounts', { accountId, name: accountId });
      await callJson(service.port, 'POST', `/v1/accounts/${accountId}/plans`, { plan: 'api_scale' });
    });
    const rounds = Array.from({ length: ROUNDS }, (_, i) => ({ accountId: accounts[i % ACCOUNTS], jobId: `job_${i}` }));
    const timed = async (kind: 'hold' | 'plain') => {
      const latencies: number[] = [];
      const holdLatencies: number[] = [];
      const t = now();
      await pool(rounds, CONCURRENCY, async (r) => {
        const t0 = now();
        const jobId = `${kind}_${r.jobId}`;
        if (kind === 'hold') {
          await must(
            'POST /v1/holds',
            call(
              service.port,
              'POST',
              '/v1/holds',
              JSON.stringify({
                accountId: r.accountId,
                holdKey: jobId,
                product: 'avatar_video',
                engine: 'unlimited',
                estimatedDurationMs: 59_000,
              }),
            ),
            [201],
          );
          holdLatencies.push(now() - t0);
        }
        await must('POST /v1/events', call(service.port, 'POST', '/v1/events', render(r.accountId, jobId, `ev_${jobId}`)), [200]);
        latencies.push(now() - t0);
      });
      const ms = now() - t;
      latencies.sort((a, b) => a - b);
      holdLatencies.sort((a, b) => a - b);
      return {
        ms,
        rate: perSecond(ROUNDS, ms),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        holdP50: percentile(holdLatencies, 50),
      };
    };
    await timed('plain'); // warm-up: the caches and the JIT, as a running service has them
    const plain = await timed('plain');
    const hold = await timed('hold');
    const open = await callJson(service.port, 'GET', `/v1/accounts/${accounts[0]}/holds?status=held`);
    if (open.items.length !== 0) throw new Error(`holds left open: ${open.items.length}`);
    log(
      BENCH,
      `hold + capture: ${fmt(hold.rate)} round trips/s, p50 ${fmt(hold.p50, 1)} ms (the hold alone ${fmt(hold.holdP50, 1)} ms), p99 ${fmt(hold.p99, 1)} ms`,
    );
    log(BENCH, `render alone: ${fmt(plain.rate)} renders/s, p50 ${fmt(plain.p50, 1)} ms, p99 ${fmt(plain.p99, 1)} ms`);
    const rows: ResultRow[] = [
      {
        what: 'Hold round trip (POST /v1/holds, then the render.completed of its jobId captures it), PGlite, service in its own process',
        workload: `${fmt(ROUNDS)} round trips on ${fmt(ACCOUNTS)} api_scale accounts, ${CONCURRENCY} at a time`,
        figure: `${fmt(hold.rate)} round trips/s; p50 ${fmt(hold.p50, 1)} ms, p99 ${fmt(hold.p99, 1)} ms`,
        limit: `the same renders without a hold (one POST /v1/events each): ${fmt(plain.rate)}/s; p50 ${fmt(plain.p50, 1)} ms, p99 ${fmt(plain.p99, 1)} ms`,
        ratio: `${fmt((hold.p50 / plain.p50) * 100)} % of the render's own p50 latency`,
        command: COMMAND,
        verdict: 'n/a',
      },
    ];
    writeResult({
      bench: BENCH,
      rows,
      raw: { hold, plain },
      notes: ['A hold is one more decided and appended command per job: about the cost of the usage event itself.'],
    });
    for (const r of rows) log(BENCH, `${r.what}: ${r.figure} | ${r.limit} | ${r.ratio}`);
  } finally {
    await service.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
