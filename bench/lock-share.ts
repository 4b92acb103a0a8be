// Benchmark 8: the writer lock's share. Every append takes one advisory lock (the log's global
// order), so N writers on one PostgreSQL are bounded by what one writer does under it. Here K
// writer processes (K = 1, then 2), each the ledger's ingest path (UsageIngest -> AccountLedger
// -> the SQL store, process managers and projector off: another copy runs them) on accounts of
// its own, ingest BENCH_LOCK_EVENTS usage events each, in batches of 1,000, two batches in flight,
// into one fresh database. Measured per run: events/s of all writers together; the lock's share
// of the wall time (the sum over appends of the time from the lock's grant to the end of the
// COMMIT that frees it, over the run's wall time: 100 % means a writer always holds it); the
// events per second under the lock (events / time held: the ceiling if the lock were the only
// limit); and the CPU the writers and PostgreSQL used, per event.
//
//   BENCH_LOCK_EVENTS=40000 node -r ./deploy/register.js bench/lock-share.ts
import { ChildProcess, fork } from 'child_process';
import { EVENT_STORE, SqlEventStore } from '@ledger/event-store';
import { pool } from './lib/http';
import { openAccounts, startLedger } from './lib/ledger';
import { envInt, fmt, log, now, perSecond, ResultRow, writeResult } from './lib/report';
import { databaseUrl, dropDatabase, freshDatabase, nodeFlagsOf, postgresCpuMs } from './lib/services';
import { accounts, usageEvents } from './lib/workload';

const BENCH = 'lock-share';
const EVENTS = envInt('BENCH_LOCK_EVENTS', 40_000);
const ACCOUNTS = envInt('BENCH_LOCK_ACCOUNTS', 2_000);
const BATCH = 1000;
const IN_FLIGHT = 2;
const DB = 'ledger_bench_lock';
const COMMAND = `BENCH_LOCK_EVENTS=${EVENTS} node -r ./deploy/register.js bench/lock-share.ts`;

interface WriterReport {
  events: number;
  ms: number;
  cpuMs: number;
  appends: number;
  heldMs: number;
}

/** A writer process: opens its accounts, says ready, ingests on "go", reports, closes when told. */
async function writer(k: number, url: string): Promise<void> {
  const l = await startLedger({ kind: 'postgres', url }, 'ledger');
  const store = l.app.get(EVENT_STORE) as SqlEventStore;
  const specs = accounts({ accounts: ACCOUNTS }).map((a) => ({ ...a, accountId: `w${k}_${a.accountId}` }));
  await openAccounts(l, specs);
  const events = [...usageEvents({ accounts: ACCOUNTS, events: EVENTS, idPrefix: `lock${k}` })].map((e) => ({
    ...e,
    subject: `w${k}_${e.subject}`,
  }));
  const batches: unknown[][] = [];
  for (let i = 0; i < events.length; i += BATCH) batches.push(JSON.parse(JSON.stringify(events.slice(i, i + BATCH))));
  await new Promise<void>((go) => {
    process.once('message', () => go());
    process.send!('ready');
  });
  const before = { ...store.lockStats };
  const cpu0 = process.cpuUsage();
  const t = now();
  await pool(batches, IN_FLIGHT, async (batch, b) => {
    const answer = await l.ingest.ingest(batch, (index) => ({ via: 'http', requestId: `lock-${k}-${b}`, index }));
    if (!answer.ok) throw new Error(answer.failure.message);
  });
  const ms = now() - t;
  const cpu = process.cpuUsage(cpu0);
  const report: WriterReport = {
    events: store.lockStats.events - before.events,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    appends: store.lockStats.appends - before.appends,
    heldMs: store.lockStats.heldMs - before.heldMs,
  };
  // Connections stay open until the parent has read PostgreSQL's CPU (a backend that exits takes its figures with it).
  await new Promise<void>((bye) => {
    process.once('message', () => bye());
    process.send!(report);
  });
  await l.close();
}

interface RunResult {
  writers: number;
  events: number;
  wallMs: number;
  rate: number;
  lockShare: number;
  underLock: number;
  heldPerAppendMs: number;
  nodeCpuUsPerEvent: number;
  pgCpuUsPerEvent: number;
}

async function run(writers: number): Promise<RunResult> {
  const url = await freshDatabase(databaseUrl(), DB);
  const children: ChildProcess[] = [];
  try {
    const reports: Promise<WriterReport>[] = [];
    const ready: Promise<void>[] = [];
    for (let k = 0; k < writers; k++) {
      const child = fork(__filename, ['--writer', String(k), url], {
        execArgv: [...nodeFlagsOf('ingestor'), '-r', './deploy/register.js'],
        env: { ...process.env, LEDGER_PROCESS: 'false', LEDGER_PROJECTOR: 'off' },
      });
      children.push(child);
      ready.push(new Promise((r) => child.once('message', () => r())));
      reports.push(
        new Promise((resolve, reject) => {
          child.on('message', (m) => typeof m === 'object' && resolve(m as WriterReport));
          child.once('exit', (code) => reject(new Error(`writer ${k} exited (${code})`)));
        }),
      );
    }
    await Promise.all(ready);
    const pg0 = postgresCpuMs();
    const t = now();
    for (const c of children) c.send('go');
    const done = await Promise.all(reports);
    const wallMs = now() - t;
    const pgMs = postgresCpuMs() - pg0;
    for (const c of children) c.send('close');
    const events = done.reduce((n, r) => n + r.events, 0);
    const heldMs = done.reduce((n, r) => n + r.heldMs, 0);
    const appends = done.reduce((n, r) => n + r.appends, 0);
    const cpuMs = done.reduce((n, r) => n + r.cpuMs, 0);
    return {
      writers,
      events,
      wallMs,
      rate: perSecond(events, wallMs),
      lockShare: heldMs / wallMs,
      underLock: perSecond(events, heldMs),
      heldPerAppendMs: heldMs / appends,
      nodeCpuUsPerEvent: (cpuMs * 1000) / events,
      pgCpuUsPerEvent: (pgMs * 1000) / events,
    };
  } finally {
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await dropDatabase(databaseUrl(), DB);
  }
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--writer');
  if (at >= 0) return writer(Number(process.argv[at + 1]), process.argv[at + 2]);
  const results: RunResult[] = [];
  for (const writers of [1, 2]) {
    const r = await run(writers);
    results.push(r);
    log(
      BENCH,
      `${writers} writer(s): ${fmt(r.rate)} events/s; lock held ${fmt(r.lockShare * 100)} % of the time, ${fmt(r.heldPerAppendMs, 1)} ms per append; ` +
        `${fmt(r.underLock)} events/s under the lock; CPU per event: writers ${fmt(r.nodeCpuUsPerEvent)} µs, PostgreSQL ${fmt(r.pgCpuUsPerEvent)} µs`,
    );
  }
  const [one, two] = results;
  const cpuBound = (r: RunResult) => ((r.nodeCpuUsPerEvent + r.pgCpuUsPerEvent) * r.rate) / 1e6; // cores busy
  const rows: ResultRow[] = results.map((r) => ({
    what: `The writer lock's share, ${r.writers} writer process${r.writers > 1 ? 'es' : ''} on one PostgreSQL`,
    workload: `${fmt(EVENTS)} usage events per writer on ${fmt(ACCOUNTS)} accounts of its own, batches of ${BATCH}, ${IN_FLIGHT} in flight; UsageIngest -> AccountLedger -> SQL store, process managers and projector off`,
    figure: `${fmt(r.rate)} events/s; lock held ${fmt(r.lockShare * 100)} % of the time (${fmt(r.heldPerAppendMs, 1)} ms per append of ~${fmt(r.events / Math.max(1, (r.lockShare * r.wallMs) / r.heldPerAppendMs))} events)`,
    limit: `events/s under the lock (events / time held): ${fmt(r.underLock)}; CPU: ${fmt(cpuBound(r), 2)} cores busy (writers ${fmt(r.nodeCpuUsPerEvent)} µs + PostgreSQL ${fmt(r.pgCpuUsPerEvent)} µs per event)`,
    ratio: `${fmt((r.rate / r.underLock) * 100)} % of the lock's ceiling`,
    command: COMMAND,
    verdict: 'n/a',
  }));
  writeResult({
    bench: BENCH,
    rows,
    raw: { results },
    notes: [
      `With 2 writers: x${fmt(two.rate / one.rate, 2)} the events/s of one, the lock held ${fmt(two.lockShare * 100)} % of the time (one writer: ${fmt(one.lockShare * 100)} %).`,
      `The lock is the ceiling when its share nears 100 % while the CPU has room; ${cpuBound(two) >= 1.6 ? 'here the CPU is (nearly) all busy first' : 'here the CPU still had room'}: ${fmt(cpuBound(two), 2)} of the 2 cores were busy with the writers and PostgreSQL alone at 2 writers.`,
    ],
  });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
