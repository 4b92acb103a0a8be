// Benchmark 8: what observability costs on HTTP ingest (PGlite in memory, the service in its own
// process, as bench/http-ingest.ts). The same events on four services of the same build, one after
// the other: the plain side (LEDGER_LOG_LEVEL=warn, LEDGER_TRACING=off: no line per request, no
// span), logs at info, traces exported over OTLP/HTTP to a sink in this process that reads every
// request and discards it (the SDK's batch processor, serialisation and export all do their work),
// and both. Each side as a ratio of the plain one (the best of BENCH_OBS_ROUNDS rounds, after a warm-up). The metrics are on in every side (they cannot be
// turned off); their cost per batch and per event is measured on their own, in this process.
//
//   BENCH_OBS_EVENTS=20000 node -r ./deploy/register.js bench/observability.ts
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { LedgerMetrics } from '@ledger/service/kit/ledger-metrics';
import { MetricsRegistry } from '@ledger/service/kit/metrics-registry';
import { accounts, CLOCK_AT, usageEvents } from './lib/workload';
import { call, callJson, pool, startService } from './lib/http';
import { envInt, fmt, log, now, perSecond, ResultRow, writeResult } from './lib/report';
import { nodeFlagsOf } from './lib/services';

const BENCH = 'observability';
const EVENTS = envInt('BENCH_OBS_EVENTS', 50_000);
const ACCOUNTS = envInt('BENCH_OBS_ACCOUNTS', 500);
const BATCH = envInt('BENCH_OBS_BATCH', 100);
const CONCURRENCY = envInt('BENCH_OBS_CONCURRENCY', 4);
/** Rounds over the sides, every other one in reverse order; a side's figure is its best round (the least disturbed). */
const ROUNDS = envInt('BENCH_OBS_ROUNDS', 2);
const COMMAND = `BENCH_OBS_EVENTS=${EVENTS} BENCH_OBS_ACCOUNTS=${ACCOUNTS} BENCH_OBS_BATCH=${BATCH} node -r ./deploy/register.js bench/observability.ts`;

interface Side {
  name: string;
  env: Record<string, string>;
}

/** An OTLP/HTTP collector that reads each export whole and throws it away. */
function startSink(): Promise<{ server: Server; url: string; exports: () => number; bytes: () => number }> {
  let exports = 0;
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, exports: () => exports, bytes: () => bytes }),
    ),
  );
}

/** Warm-up (untimed: the JIT, the account cache), then the timed bodies. */
async function ingestOver(side: Side, warmUp: string[], bodies: string[]): Promise<{ ms: number; accepted: number }> {
  const service = await startService(
    { LEDGER_STORE: 'pglite', LEDGER_SIMULATION: 'true', LEDGER_SIMULATION_START: '2026-03-01T00:00:00.000Z', ...side.env },
    nodeFlagsOf('ledger'),
  );
  try {
    await pool(accounts({ accounts: ACCOUNTS }), 8, async (a) => {
      await callJson(service.port, 'POST', '/v1/accounts', { accountId: a.accountId, name: a.name });
      for (const p of a.plans) await callJson(service.port, 'POST', `/v1/accounts/${a.accountId}/plans`, p);
    });
    await callJson(service.port, 'PUT', '/v1/simulation/clock', { now: CLOCK_AT });
    await pool(warmUp, CONCURRENCY, async (body) => void (await call(service.port, 'POST', '/v1/events', body)));
    let accepted = 0;
    const t = now();
    await pool(bodies, CONCURRENCY, async (body) => {
      const a = await call(service.port, 'POST', '/v1/events', body);
      if (a.status !== 200 && a.status !== 400 && a.status !== 409) throw new Error(`POST /v1/events: ${a.status} ${a.body.slice(0, 300)}`);
      for (const r of JSON.parse(a.body).results as { status: string }[]) if (r.status === 'accepted') accepted++;
    });
    return { ms: now() - t, accepted };
  } finally {
    await service.stop();
  }
}

/** The metrics of the usage path on their own: a batch's two timers and each event's lag observation. */
function metricsCost(): { perBatchNs: number; perEventNs: number } {
  const m = new LedgerMetrics(new MetricsRegistry());
  const n = 200_000;
  let t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    m.ingestBatch.startTimer({ source: 'http' })();
    m.storeAppend.startTimer()();
  }
  const perBatchNs = Number(process.hrtime.bigint() - t) / n;
  t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) m.eventToBalanceLag.observe((i % 500) / 1000);
  return { perBatchNs, perEventNs: Number(process.hrtime.bigint() - t) / n };
}

async function main(): Promise<void> {
  const bodiesOf = (events: unknown[]) => {
    const out: string[] = [];
    for (let i = 0; i < events.length; i += BATCH) out.push(JSON.stringify(events.slice(i, i + BATCH)));
    return out;
  };
  const bodies = bodiesOf([...usageEvents({ accounts: ACCOUNTS, events: EVENTS, idPrefix: 'obs' })]);
  const warmUp = bodiesOf([...usageEvents({ accounts: ACCOUNTS, events: Math.ceil(EVENTS / 5), idPrefix: 'obs-warm-up' })]);
  log(BENCH, `${fmt(EVENTS)} events on ${fmt(ACCOUNTS)} accounts, ${bodies.length} requests of ${BATCH}, ${CONCURRENCY} at a time`);

  const sink = await startSink();
  const otlp = { LEDGER_TRACING: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url };
  const sides: Side[] = [
    { name: 'plain: logs at warn, tracing off', env: { LEDGER_LOG_LEVEL: 'warn', LEDGER_TRACING: 'off' } },
    {
      name: 'logs at info (a line per request but the accepted ingests, which are debug)',
      env: { LEDGER_LOG_LEVEL: 'info', LEDGER_TRACING: 'off' },
    },
    { name: 'logs at debug (a line per ingest request too)', env: { LEDGER_LOG_LEVEL: 'debug', LEDGER_TRACING: 'off' } },
    { name: 'tracing on, OTLP/HTTP to a discarding sink, logs at warn', env: { LEDGER_LOG_LEVEL: 'warn', ...otlp } },
    { name: 'tracing on and logs at info', env: { LEDGER_LOG_LEVEL: 'info', ...otlp } },
  ];
  const results = sides.map((side) => ({ side, rate: 0, accepted: 0, rounds: [] as number[] }));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of round % 2 === 0 ? results : [...results].reverse()) {
        const run = await ingestOver(r.side, warmUp, bodies);
        const rate = perSecond(EVENTS, run.ms);
        r.rounds.push(rate);
        r.rate = Math.max(r.rate, rate);
        r.accepted = run.accepted;
        log(BENCH, `round ${round + 1}, ${r.side.name}: ${fmt(rate)} events/s (${fmt(run.accepted)} accepted)`);
      }
    }
  } finally {
    sink.server.close();
  }
  const metrics = metricsCost();
  const plain = results[0].rate;
  const workload = `${fmt(EVENTS)} usage events on ${fmt(ACCOUNTS)} accounts; POST /v1/events, JSON arrays of ${BATCH}, ${CONCURRENCY} connections`;
  const rows: ResultRow[] = results.slice(1).map((r) => ({
    what: `HTTP ingest on PGlite, ${r.side.name}`,
    workload,
    figure: `${fmt(r.rate)} events/s`,
    limit: `the plain side in the same run (${results[0].side.name}): ${fmt(plain)} events/s`,
    ratio: `${fmt((r.rate / plain) * 100)} % of plain`,
    command: COMMAND,
    verdict: r.rate >= plain * 0.9 ? 'met' : 'missed',
  }));
  rows.push({
    what: 'metrics of the usage path (prom-client), in process',
    workload: 'a batch: its ingest and append timers; an event: its lag observation',
    figure: `${fmt(metrics.perBatchNs)} ns per batch, ${fmt(metrics.perEventNs)} ns per event`,
    limit: `the plain side's time per event: ${fmt(1e9 / plain)} ns`,
    ratio: `${fmt(((metrics.perBatchNs / BATCH + metrics.perEventNs) / (1e9 / plain)) * 100, 2)} % of it`,
    command: COMMAND,
    verdict: 'met',
  });
  writeResult({
    bench: BENCH,
    rows,
    raw: {
      results: results.map((r) => ({ side: r.side.name, rate: r.rate, rounds: r.rounds, accepted: r.accepted })),
      metrics,
      sink: { exports: sink.exports(), bytes: sink.bytes() },
    },
    notes: [
      `Each side: the best of ${ROUNDS} rounds (every other round in reverse order), after an untimed warm-up of ${fmt(warmUp.length)} requests; every round: ${results.map((r) => `${r.side.name.split(':')[0]} ${r.rounds.map((x) => fmt(x)).join(' / ')}`).join('; ')} events/s.`,
      `The OTLP sink received ${fmt(sink.exports())} exports, ${fmt(sink.bytes() / 2 ** 20, 1)} MiB of spans.`,
      'Target: each side within 10 % of the plain one.',
    ],
  });
  for (const r of rows) log(BENCH, `${r.what}: ${r.figure} | ${r.limit} | ${r.ratio}`);
  log(BENCH, `the OTLP sink received ${fmt(sink.exports())} exports, ${fmt(sink.bytes() / 2 ** 20, 1)} MiB`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
