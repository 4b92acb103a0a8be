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
import { EVENT_STORE, EventStore, LEDGER_DATABASE, SqlExecutor } from '@ledger/event-store';
import { FinanceProjections } from '@ledger/service/projections/finance-projections.service';
import { InProcessLedger, openAccounts, startLedger } from './lib/ledger';
import { call, callJson, peakRss, pool, startService } from './lib/http';
import { envInt, fmt, log, now, perSecond, ResultRow, writeResult } from './lib/report';
import { nodeFlagsOf } from './lib/services';
import { profileFigures, profileNote, profilesIn } from './lib/profile';

const BENCH = 'http-ingest';
const EVENTS = envInt('BENCH_HTTP_EVENTS', 100_000);
const ACCOUNTS = envInt('BENCH_HTTP_ACCOUNTS', 1_000);
const BATCH = envInt('BENCH_HTTP_BATCH', 500);
const CONCURRENCY = envInt('BENCH_HTTP_CONCURRENCY', 4);
const COMMAND = `BENCH_HTTP_EVENTS=${EVENTS} BENCH_HTTP_ACCOUNTS=${ACCOUNTS} node -r ./deploy/register.js bench/http-ingest.ts`;

type Counts = Record<'accepted' | 'duplicate' | 'rejected', number>;

const PROFILE_DIR = join(__dirname, '.work/profiles', `http-${Date.now().toString(36)}`);

async function overHttp(bodies: string[], profile: boolean): Promise<{ ms: number; counts: Counts; peakRss?: number; stopMs: number }> {
  const service = await startService(
    { LEDGER_STORE: 'pglite', LEDGER_SIMULATION: 'true', LEDGER_SIMULATION_START: '2026-03-01T00:00:00.000Z' },
    [...nodeFlagsOf('ledger'), ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [])],
  );
  let stopAt: number | undefined;
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
    const rss = peakRss(service.child.pid!);
    stopAt = now();
    await service.stop();
    return { ms, counts, peakRss: rss, stopMs: now() - stopAt };
  } finally {
    if (stopAt === undefined) await service.stop();
  }
}

/**
 * When every projection in the process (the finance projector, the process managers) has the
 * log's head. Awaiting ingest calls back to back keeps the event loop in promise jobs, so their
 * gather timers fire only once the calls stop: the answered time alone leaves their work out,
 * where the HTTP side does it between requests.
 */
async function caughtUp(l: InProcessLedger): Promise<void> {
  const db = l.app.get<SqlExecutor>(LEDGER_DATABASE);
  const finance = l.app.get(FinanceProjections);
  for (;;) {
    const head = await l.app.get<EventStore>(EVENT_STORE).headPosition();
    const [{ behind }] = await db.query<{ behind: number }>(
      'SELECT count(*)::int AS behind FROM ledger.process_checkpoints WHERE position < $1::bigint',
      [String(head)],
    );
    if (behind === 0 && (await finance.status()).lag === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function inProcess(batches: unknown[][]): Promise<{ ms: number; caughtUpMs: number; counts: Counts }> {
  const l = await startLedger({ kind: 'pglite' }, 'ledger');
  try {
    await openAccounts(l, accounts({ accounts: ACCOUNTS }));
    await caughtUp(l);
    const counts: Counts = { accepted: 0, duplicate: 0, rejected: 0 };
    const t = now();
    await pool(batches, CONCURRENCY, async (batch, b) => {
      const answer = await l.ingest.ingest(batch, (index) => ({ via: 'http', requestId: `bench-${b}`, index }));
      if (!answer.ok) throw new Error(answer.failure.message);
      for (const r of answer.value) counts[r.status]++;
    });
    const ms = now() - t;
    await caughtUp(l);
    return { ms, caughtUpMs: now() - t, counts };
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
function inProcessChild(
  side: '--in-process' | '--raw-insert' = '--in-process',
): Promise<{ ms: number; caughtUpMs?: number; counts: Counts }> {
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
  const caughtUpRate = perSecond(EVENTS, inproc.caughtUpMs!);
  log(
    BENCH,
    `in process: ${fmt(inRate)} events/s answered, ${fmt(caughtUpRate)}/s with the projections caught up ${JSON.stringify(inproc.counts)}`,
  );
  const raw = await inProcessChild('--raw-insert');
  const rawRate = perSecond(EVENTS, raw.ms);
  log(BENCH, `raw INSERT into PGlite: ${fmt(rawRate)} events/s (${raw.counts.accepted} rows)`);
  if (raw.counts.accepted !== EVENTS) throw new Error(`raw INSERT floor: ${raw.counts.accepted} rows for ${EVENTS} events`);

  const file = profilesIn(PROFILE_DIR)[0];
  // The POSTs were the service's last work before it stopped: the window is their time and the stop's.
  const what = 'the service (one thread: Nest, HTTP, the ledger, its projections and PGlite) while it answered the POSTs';
  const profile = file ? profileFigures(what, file, EVENTS, { lastMs: http.ms + http.stopMs }) : undefined;
  const workload = `${fmt(EVENTS)} usage events (${fmt(http.counts.duplicate)} duplicates, ~3 % late) on ${fmt(ACCOUNTS)} accounts; POST /v1/events, JSON arrays of ${BATCH}, ${CONCURRENCY} connections`;
  const rows: ResultRow[] = [
    {
      what: 'HTTP ingest on PGlite (embedded default), service in its own process',
      workload,
      figure: `${fmt(httpRate)} events/s`,
      limit: `the same events INSERTed raw into PGlite in memory (one statement of jsonb per body, its own process): ${fmt(rawRate)} events/s; the in-process ingest path (UsageIngest, PGlite, no HTTP, its own process): ${fmt(caughtUpRate)} events/s until its projections had caught up (${fmt(inRate)}/s counting only the answers: its projections' gather timers wait until the calls stop)`,
      ratio: `${fmt((httpRate / rawRate) * 100)} % of the raw INSERT (target >= 50 %); ${fmt((httpRate / caughtUpRate) * 100)} % of in-process with its projections`,
      command: COMMAND,
      verdict: httpRate >= 0.5 * rawRate ? 'met' : 'missed',
    },
  ];
  writeResult({
    bench: BENCH,
    rows,
    raw: { http, inProcess: inproc, rawInsert: raw, httpRate, inRate, caughtUpRate, rawRate, profile },
    notes: [
      `HTTP answers: ${JSON.stringify(http.counts)}; in process: ${JSON.stringify(inproc.counts)}. Peak RSS of the service: ${http.peakRss ? fmt(http.peakRss / 2 ** 20) + ' MiB' : 'n/a'}.`,
      ...(profile ? [profileNote(profile)] : []),
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
