// Benchmark 3: HTTP ingest on the embedded default (PGlite in memory). The service runs as its
// own process (`npm run ledger`'s entry point, simulated clock); accounts are opened and plans
// started over HTTP, then POST /v1/events takes JSON arrays of BENCH_HTTP_BATCH events from
// BENCH_HTTP_CONCURRENCY connections on 127.0.0.1. Beside it, in the same run, each in a process
// of its own: the same events through the in-process ingest path (UsageIngest.ingest, PGlite, no
// HTTP): what HTTP could reach; and the floor of the target, the same events INSERTed raw into a
// table of an in-memory PGlite (one statement per request body: the events as one jsonb document,
// read with jsonb_to_recordset, an event per row).
//
//   BENCH_HTTP_EVENTS=100000 node -r ./deploy/register.js bench/http-ingest.ts
import { spawn } from 'child_process';
import { join } from 'path';
import { accounts, CLOCK_AT, usageEvents } from './lib/workload';
import { openAccounts, startLedger } from './lib/ledger';
import { call, callJson, peakRss, pool, startService } from './lib/http';
import { envInt, fmt, log, now, perSecond, ResultRow, writeResult } from './lib/report';
import { nodeFlagsOf } from './lib/services';

const BENCH = 'http-ingest';
const EVENTS = envInt('BENCH_HTTP_EVENTS', 100_000);
const ACCOUNTS = envInt('BENCH_HTTP_ACCOUNTS', 1_000);
const BATCH = envInt('BENCH_HTTP_BATCH', 500);
const CONCURRENCY = envInt('BENCH_HTTP_CONCURRENCY', 4);
const COMMAND = `BENCH_HTTP_EVENTS=${EVENTS} BENCH_HTTP_ACCOUNTS=${ACCOUNTS} node -r ./deploy/register.js bench/http-ingest.ts`;

type Counts = Record<'accepted' | 'duplicate' | 'rejected', number>;

async function overHttp(bodies: string[], profile: boolean): Promise<{ ms: number; counts: Counts; peakRss?: number }> {
  const service = await startService(
    { LEDGER_STORE: 'pglite', LEDGER_SIMULATION: 'true', LEDGER_SIMULATION_START: '2026-03-01T00:00:00.000Z' },
    [...nodeFlagsOf('ledger'), ...(profile ? ['--cpu-prof', '--cpu-prof-dir=bench/.work/profiles/http'] : [])],
  );
  try {
    const specs = accounts({ accounts: ACCOUNTS });
    const t0 = now();
    await pool(specs, 8, async (a) => {
      await callJson(service.port, 'POST', '/v1/accounts', { accountId: a.accountId, name: a.name });
      for (const p of a.plans) await callJson(service.port, 'POST', `/v1/accounts/${a.accountId}/plans`, p);
    });
    await callJson(service.port, 'PUT', '/v1/simulation/clock', { now: CLOCK_AT });
    log(BENCH, `HTTP: ${ACCOUNTS} accounts opened in ${fmt(now() - t0)} ms`);
    const counts: Counts = { accepted: 0, duplicate: 0, rejected: 0 };
    const t = now();
    await pool(bodies, CONCURRENCY, async (body) => {
      const a = await call(service.port, 'POST', '/v1/events', body);
      if (a.status !== 200 && a.status !== 400 && a.status !== 409) throw new Error(`POST /v1/events: ${a.status} ${a.body.slice(0, 300)}`);
      for (const r of JSON.parse(a.body).results as { status: keyof Counts }[]) counts[r.status]++;
    });
    const ms = now() - t;
    return { ms, counts, peakRss: peakRss(service.child.pid!) };
  } finally {
    await service.stop();
  }
}

async function inProcess(batches: unknown[][]): Promise<{ ms: number; counts: Counts }> {
  const l = await startLedger({ kind: 'pglite' }, 'ledger');
  try {
    await openAccounts(l, accounts({ accounts: ACCOUNTS }));
    const counts: Counts = { accepted: 0, duplicate: 0, rejected: 0 };
    const t = now();
    await pool(batches, CONCURRENCY, async (batch, b) => {
      const answer = await l.ingest.ingest(batch, (index) => ({ via: 'http', requestId: `bench-${b}`, index }));
      if (!answer.ok) throw new Error(answer.failure.message);
      for (const r of answer.value) counts[r.status]++;
    });
    return { ms: now() - t, counts };
  } finally {
    await l.close();
  }
}

function requestBodies(): string[] {
  const events = [...usageEvents({ accounts: ACCOUNTS, events: EVENTS, idPrefix: 'http' })];
  const bodies: string[] = [];
  for (let i = 0; i < events.length; i += BATCH) bodies.push(JSON.stringify(events.slice(i, i + BATCH)));
  return bodies;
}

/** The floor: each body's events INSERTed raw into PGlite in memory, one statement per body. */
async function rawInsert(bodies: string[]): Promise<{ ms: number; counts: Counts }> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create();
  await db.query('CREATE TABLE raw_usage (source text NOT NULL, id text NOT NULL, value jsonb NOT NULL)');
  const t = now();
  for (const body of bodies) {
    await db.query(
      `INSERT INTO raw_usage (source, id, value) SELECT x.v ->> 'source', x.v ->> 'id', x.v FROM jsonb_array_elements($1::jsonb) AS x(v)`,
      [body],
    );
  }
  const ms = now() - t;
  const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM raw_usage')).rows;
  await db.close();
  return { ms, counts: { accepted: n, duplicate: 0, rejected: 0 } };
}

/** The in-process side and the floor run in clean processes of their own too (this file with --in-process / --raw-insert). */
function inProcessChild(side: '--in-process' | '--raw-insert' = '--in-process'): Promise<{ ms: number; counts: Counts }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [...nodeFlagsOf('ledger'), '-r', './deploy/register.js', __filename, side], {
      cwd: join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${side} side exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  if (process.argv.includes('--in-process')) {
    // The events as the body parser hands them over: parsed JSON values.
    const r = await inProcess(requestBodies().map((b) => JSON.parse(b)));
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  if (process.argv.includes('--raw-insert')) {
    process.stdout.write(`${JSON.stringify(await rawInsert(requestBodies()))}\n`);
    return;
  }
  const bodies = requestBodies();
  log(BENCH, `${fmt(EVENTS)} events on ${fmt(ACCOUNTS)} accounts, ${bodies.length} requests of ${BATCH}, ${CONCURRENCY} at a time`);

  const http = await overHttp(bodies, process.env.BENCH_PROFILE === '1');
  const httpRate = perSecond(EVENTS, http.ms);
  log(BENCH, `HTTP: ${fmt(httpRate)} events/s ${JSON.stringify(http.counts)}`);
  const inproc = await inProcessChild();
  const inRate = perSecond(EVENTS, inproc.ms);
  log(BENCH, `in process: ${fmt(inRate)} events/s ${JSON.stringify(inproc.counts)}`);
  const raw = await inProcessChild('--raw-insert');
  const rawRate = perSecond(EVENTS, raw.ms);
  log(BENCH, `raw INSERT into PGlite: ${fmt(rawRate)} events/s (${raw.counts.accepted} rows)`);
  if (raw.counts.accepted !== EVENTS) throw new Error(`raw INSERT floor: ${raw.counts.accepted} rows for ${EVENTS} events`);

  const workload = `${fmt(EVENTS)} usage events (${fmt(http.counts.duplicate)} duplicates, ~3 % late) on ${fmt(ACCOUNTS)} accounts; POST /v1/events, JSON arrays of ${BATCH}, ${CONCURRENCY} connections`;
  const rows: ResultRow[] = [
    {
      what: 'HTTP ingest on PGlite (embedded default), service in its own process',
      workload,
      figure: `${fmt(httpRate)} events/s`,
      limit: `the same events INSERTed raw into PGlite in memory (one statement of jsonb per body, its own process): ${fmt(rawRate)} events/s; the in-process ingest path (UsageIngest, PGlite, no HTTP, its own process): ${fmt(inRate)} events/s`,
      ratio: `${fmt((httpRate / rawRate) * 100)} % of the raw INSERT (target >= 50 %); ${fmt((httpRate / inRate) * 100)} % of in-process`,
      command: COMMAND,
      verdict: httpRate >= 0.5 * rawRate ? 'met' : 'missed',
    },
  ];
  writeResult({
    bench: BENCH,
    rows,
    raw: { http, inProcess: inproc, rawInsert: raw, httpRate, inRate, rawRate },
    notes: [
      `HTTP answers: ${JSON.stringify(http.counts)}; in process: ${JSON.stringify(inproc.counts)}. Peak RSS of the service: ${http.peakRss ? fmt(http.peakRss / 2 ** 20) + ' MiB' : 'n/a'}.`,
    ],
  });
  for (const r of rows) log(BENCH, `${r.what}: ${r.figure} | ${r.limit} | ${r.ratio}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
