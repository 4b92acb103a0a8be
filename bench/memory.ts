// Benchmark 5: memory. Peak RSS of the ingest path (the ledger module as the Kafka ingestor runs
// it: store on PostgreSQL, AccountLedger with its bounded cache LEDGER_ACCOUNT_CACHE, process
// managers on) while BENCH_MEMORY_ACCOUNTS accounts are touched: one usage event each, in
// batches of 1,000 (a Kafka batch), through UsageIngest.ingest, the call the consumer makes.
//
// The accounts are opened first by this (parent) process, straight through the store port with
// the events the ledger would write; the measured child process starts on that log.
//
//   BENCH_MEMORY_ACCOUNTS=1000000 node -r ./deploy/register.js bench/memory.ts
import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { PgClient, SqlEventStore } from '@ledger/event-store';
import { eventCount, LedgerSimulator } from './lib/charges';
import { startLedger } from './lib/ledger';
import { databaseUrl, dropDatabase, freshDatabase, nodeFlagsOf } from './lib/services';
import { envInt, fmt, log, now, perSecond, ResultRow, writeResult } from './lib/report';
import { accountSpec, CLOCK_AT, usageEvents } from './lib/workload';
import { toInstant } from '@ledger/domain';

const BENCH = 'memory';
const ACCOUNTS = envInt('BENCH_MEMORY_ACCOUNTS', 1_000_000);
const BATCH = envInt('BENCH_MEMORY_BATCH', 2_500);
/** The ingest path alone by default: see the note written with the result. */
const PROCESS = process.env.BENCH_MEMORY_PROCESS ?? 'false';
/** The ledger's own default unless LEDGER_ACCOUNT_CACHE is set. */
const CACHE = process.env.LEDGER_ACCOUNT_CACHE;
const DB = 'ledger_bench_memory';
const GiB = 2 ** 30;
const MiB = 2 ** 20;
const COMMAND = `BENCH_MEMORY_ACCOUNTS=${ACCOUNTS} node -r ./deploy/register.js bench/memory.ts`;

interface ChildReport {
  startRss: number;
  peakRss: number;
  peakHeapUsed: number;
  liveHeapAfterGc: number;
  rssAfterGc: number;
  ms: number;
  events: number;
  counts: Record<string, number>;
  samples: [number, number][];
}

function rssFromProc(): { rss: number; hwm: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** The measured process: the ledger on the prepared log, then one event per account. */
async function child(url: string): Promise<void> {
  const l = await startLedger({ kind: 'postgres', url }, 'ledger');
  l.clock.set(toInstant(CLOCK_AT));
  const startRss = process.memoryUsage.rss();
  let peakHeapUsed = 0;
  const samples: [number, number][] = [];
  const t0 = now();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed);
    samples.push([Math.round(now() - t0), m.rss]);
  }, 500);
  const counts: Record<string, number> = {};
  let batch: string[] = [];
  let n = 0;
  const flush = async () => {
    const answer = await l.ingest.ingest(batch, (i) => ({
      via: 'kafka',
      topic: 'usage.renders',
      partition: 0,
      offset: String(n - batch.length + i),
    }));
    if (!answer.ok) throw new Error(answer.failure.message);
    for (const r of answer.value) counts[r.status] = (counts[r.status] ?? 0) + 1;
    batch = [];
  };
  for (const e of usageEvents({
    accounts: ACCOUNTS,
    events: ACCOUNTS,
    idPrefix: process.env.BENCH_MEMORY_ID_PREFIX ?? 'mem',
    touchEveryAccountFirst: true,
  })) {
    batch.push(JSON.stringify(e));
    n++;
    if (batch.length >= BATCH) await flush();
    if (n % 100_000 === 0)
      process.stderr.write(`[bench memory] child: ${n} accounts touched, rss ${fmt(process.memoryUsage.rss() / MiB)} MiB\n`);
  }
  if (batch.length) await flush();
  const ms = now() - t0;
  clearInterval(sampler);
  const peak = rssFromProc().hwm;
  // What of that is live: a full collection (the child runs with --expose-gc), after the peak was read.
  (global as { gc?: () => void }).gc?.();
  const liveHeap = process.memoryUsage().heapUsed;
  const report: ChildReport = {
    startRss,
    peakRss: peak,
    peakHeapUsed,
    liveHeapAfterGc: liveHeap,
    rssAfterGc: process.memoryUsage.rss(),
    ms,
    events: n,
    counts,
    samples,
  };
  await l.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

async function parent(): Promise<void> {
  const url = await freshDatabase(databaseUrl(), DB);
  const store = await SqlEventStore.open(PgClient.connect(url), { schema: 'ledger' });
  const t = now();
  let written = 0;
  const PER = 4_000;
  // Pipelined: the next batch is decided here while PostgreSQL writes the previous one.
  let writing: Promise<unknown> = Promise.resolve();
  for (let first = 0; first < ACCOUNTS; first += PER) {
    // A fresh simulator per batch: the parent keeps no account states.
    const sim = new LedgerSimulator();
    const specs = Array.from({ length: Math.min(PER, ACCOUNTS - first) }, (_, k) =>
      accountSpec(first + k, first + k < Math.max(3, Math.floor(ACCOUNTS / 2000))),
    );
    const [appends] = [...sim.openings(specs, PER)];
    await writing;
    writing = store.append(appends);
    written += eventCount(appends);
    if ((first / PER) % 25 === 0) log(BENCH, `opening ${fmt(first + specs.length)} accounts (${fmt(written)} events)`);
  }
  await writing;
  await store.close();
  const openMs = now() - t;
  log(BENCH, `${fmt(ACCOUNTS)} accounts opened: ${fmt(written)} events in ${fmt(openMs / 1000, 1)} s`);

  const measure = (nodeArgs: string[], idPrefix: string) =>
    new Promise<ChildReport>((resolve, reject) => {
      const prof = process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', '--cpu-prof-dir=bench/.work/profiles/memory'] : [];
      const c = spawn(process.execPath, [...prof, '--expose-gc', ...nodeArgs, '-r', './deploy/register.js', __filename, '--child'], {
        cwd: join(__dirname, '..'),
        env: {
          ...process.env,
          BENCH_MEMORY_CHILD_URL: url,
          BENCH_MEMORY_ID_PREFIX: idPrefix,
          LEDGER_PROCESS: PROCESS,
          ...(CACHE ? { LEDGER_ACCOUNT_CACHE: CACHE } : {}),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      c.on('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(out.trim().split('\n').pop()!))
          : reject(new Error(`memory child exited ${code}: ${out.slice(-2000)}`)),
      );
    });
  // The default, then (unless BENCH_MEMORY_LIMITED=0) the same with a heap limit, on new events.
  // The flags `npm run ingestor` uses unless BENCH_MEMORY_NODE_ARGS says otherwise.
  const ingestorFlags = nodeFlagsOf('ingestor');
  const given = process.env.BENCH_MEMORY_NODE_ARGS?.split(' ').filter(Boolean);
  const variants: { label: string; args: string[] }[] = [
    given
      ? { label: `node ${given.join(' ')}`, args: given }
      : { label: `the Node flags of npm run ingestor (${ingestorFlags.join(' ') || 'none'})`, args: ingestorFlags },
  ];
  if (process.env.BENCH_MEMORY_LIMITED !== '0')
    variants.push({
      label: `node ${[...ingestorFlags, '--max-old-space-size=512'].join(' ')}`,
      args: [...ingestorFlags, '--max-old-space-size=512'],
    });
  const reports: ChildReport[] = [];
  for (const [k, v] of variants.entries()) {
    log(BENCH, `measuring with ${v.label}`);
    reports.push(await measure(v.args, `mem${k}`));
  }
  await dropDatabase(databaseUrl(), DB);

  const rows: ResultRow[] = reports.map((report, k) => ({
    what: `Memory: peak RSS of the ingest path (UsageIngest -> AccountLedger -> store on PostgreSQL, in the ledger module), ${variants[k].label}`,
    workload: `${fmt(ACCOUNTS)} accounts (${fmt(written)} events in the log), each touched by one usage event, batches of ${fmt(BATCH)} (about one 1 MiB Kafka fetch); LEDGER_ACCOUNT_CACHE=${CACHE ?? "unset (the ledger's default)"}, LEDGER_PROCESS=${PROCESS}`,
    figure: `${fmt(report.peakRss / MiB)} MiB peak RSS`,
    limit: `target 1 GiB (1,024 MiB); RSS of the same process before the first event: ${fmt(report.startRss / MiB)} MiB`,
    ratio: `${fmt((report.peakRss / GiB) * 100)} % of 1 GiB`,
    command: k === 0 ? COMMAND : `BENCH_MEMORY_NODE_ARGS='${variants[k].args.join(' ')}' BENCH_MEMORY_LIMITED=0 ${COMMAND}`,
    verdict: report.peakRss < GiB ? 'met' : 'missed',
  }));
  writeResult({
    bench: BENCH,
    rows,
    raw: {
      accounts: ACCOUNTS,
      logEvents: written,
      openMs,
      runs: reports.map((r, k) => ({
        ...r,
        flags: variants[k].label,
        samples: undefined,
        rssTimeline: r.samples.filter((_, i) => i % 10 === 0),
      })),
    },
    notes: [
      PROCESS === 'false'
        ? 'Process managers off in the measured process (LEDGER_PROCESS=false): they keep their state in SQL tables and read the log in batches of LEDGER_PROJECTION_BATCH, so their memory does not grow with accounts, and here they would spend the run catching up on the log written by the set-up. The ingestor with them on is measured in benchmark 1 (peak RSS in its notes). BENCH_MEMORY_PROCESS=true measures with them on.'
        : 'Process managers on in the measured process (BENCH_MEMORY_PROCESS=true): they catch up on the log written by the set-up while the events are ingested.',
      `Set-up: ${fmt(written)} events written through the store port in ${fmt(openMs / 1000, 1)} s (not measured).`,
      ...reports.map(
        (report, k) =>
          `${variants[k].label}: touched ${fmt(report.events)} accounts in ${fmt(report.ms / 1000, 1)} s (${fmt(perSecond(report.events, report.ms))} events/s, every one a cache miss); outcomes ${JSON.stringify(report.counts)}; peak V8 heap used ${fmt(report.peakHeapUsed / MiB)} MiB; after a full collection at the end: heap ${fmt(report.liveHeapAfterGc / MiB)} MiB live, RSS ${fmt(report.rssAfterGc / MiB)} MiB. The rest of the peak is garbage V8 had not collected yet: with default flags it lets the old generation grow to a few times the live heap before a full collection.`,
      ),
    ],
  });
  for (const r of rows) log(BENCH, `${r.what}: ${r.figure} | ${r.limit} | ${r.ratio}`);
}

(process.argv.includes('--child') ? child(process.env.BENCH_MEMORY_CHILD_URL!) : parent()).then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
