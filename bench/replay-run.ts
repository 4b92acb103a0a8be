// Benchmark 4: replay, as bench/replay measures it (its own benchmark, reused as it is): every
// read model rebuilt from a generated log of BENCH_REPLAY_EVENTS events, on PGlite and on
// PostgreSQL. Beside it, in the same run: the same log read by the same reader the projector
// uses, doing nothing with the events (the limit a rebuild cannot beat).
//
//   BENCH_REPLAY_EVENTS=1000000 node -r ./deploy/register.js bench/replay-run.ts
import { execFileSync, spawn } from 'child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'fs';
import { tmpdir } from 'os';
import { basename, join } from 'path';
import { ProfileFigures, profileFigures, profileNote, profilesIn } from './lib/profile';
import { GlobalPosition, PgClient, PgliteClient, SqlClient } from '@ledger/event-store';
import { databaseUrl, dropDatabase, freshDatabase, postgresCpuMs } from './lib/services';
import { envInt, fmt, log, now, perSecond, ResultRow, writeResult } from './lib/report';

const BENCH = 'replay';
const EVENTS = envInt('BENCH_REPLAY_EVENTS', 1_000_000);
const BATCH = envInt('BENCH_REPLAY_BATCH', 100_000);
const ROOT = join(__dirname, '..');
/** The floors: 100,000 events/s on PostgreSQL, 70,000 on PGlite, or half the bare read. */
const FIXED_TARGET: Record<string, number> = { postgres: 100_000, pglite: 70_000 };
const DB = 'ledger_bench_replay';
const PROFILE = process.env.BENCH_PROFILE === '1';
const COMMAND = `BENCH_REPLAY_EVENTS=${EVENTS} node -r ./deploy/register.js bench/replay-run.ts  (runs: node -r ./deploy/register.js bench/replay/bench-replay.ts --events ${EVENTS} --stores pglite,postgres)`;

interface Rebuild {
  store: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  peakRssMb: number;
  /** PostgreSQL's own CPU during the PostgreSQL rebuild (from /proc), µs per log event. */
  postgresUs?: number;
  /** The store's fixed target and the one it is judged by (the lower of it and half the bare read). */
  fixedTarget?: number;
  target?: number;
}

/**
 * A private copy of this commit (git archive HEAD), so the log bench/replay generates in its
 * .data/ and a developer's work in progress in this tree cannot meet this run.
 */
function privateTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-replay-'));
  const tar = execFileSync('git', ['archive', '--format=tar', 'HEAD'], { cwd: ROOT, maxBuffer: 1 << 30 });
  execFileSync('tar', ['-x', '-C', dir], { input: tar, maxBuffer: 1 << 30 });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/**
 * Runs bench/replay/bench-replay.ts and reads its "<store> run <n>: rebuilt ..." lines. The
 * server's CPU is read when the PostgreSQL log is ready (bench-replay prints that just before
 * it starts the rebuild) and when the rebuild's line comes: the server's own share of it.
 */
function runReplayBench(tree: string, url: string): Promise<{ rebuilds: Rebuild[]; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '-r',
        './deploy/register.js',
        'bench/replay/bench-replay.ts',
        '--events',
        String(EVENTS),
        '--stores',
        'pglite,postgres',
        '--runs',
        '1',
        ...(PROFILE ? ['--profile'] : []),
      ],
      {
        cwd: tree,
        env: { ...process.env, DATABASE_URL: url },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let output = '';
    let pgAtStart: number | undefined;
    let pgAtEnd: number | undefined;
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
      process.stderr.write(d);
      if (pgAtStart === undefined && /PostgreSQL: (generated \d+ events in|reusing)/.test(output)) pgAtStart = postgresCpuMs();
      if (pgAtEnd === undefined && /postgres run \d+: rebuilt/.test(output)) pgAtEnd = postgresCpuMs();
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench/replay/bench-replay.ts exited ${code}`));
      const rebuilds: Rebuild[] = [];
      const line = /^(\w+) run \d+: rebuilt (\d+) events in ([\d.]+) s = (\d+) events\/s, peak RSS (\d+) MB/;
      for (const l of output.split(/[\r\n]+/)) {
        const m = line.exec(l.trim());
        if (m)
          rebuilds.push({
            store: m[1],
            events: Number(m[2]),
            seconds: Number(m[3]),
            eventsPerSecond: Number(m[4]),
            peakRssMb: Number(m[5]),
          });
      }
      const pg = rebuilds.find((r) => r.store === 'postgres');
      if (pg && pgAtStart !== undefined && pgAtEnd !== undefined) pg.postgresUs = ((pgAtEnd - pgAtStart) * 1000) / pg.events;
      if (rebuilds.length === 0)
        return reject(new Error(`no "rebuilt" line in the output of bench/replay/bench-replay.ts: ${output.slice(-1000)}`));
      resolve({ rebuilds, output });
    });
  });
}

/** The projector's own reader over the whole log, doing nothing with the events. */
async function bareRead(client: SqlClient, schema: string): Promise<{ events: number; ms: number }> {
  const { SqlLogReader } = await import('@ledger/service/projections/log-reader');
  const reader = new SqlLogReader(client, schema);
  const head: GlobalPosition = await reader.head();
  const t = now();
  let after = 0n;
  let events = 0;
  while (after < head) {
    const page = await reader.read(after, BATCH, head);
    if (page.length === 0) break;
    events += page.length;
    after = page[page.length - 1].position;
  }
  return { events, ms: now() - t };
}

/**
 * The rebuilds' CPU profiles (bench-replay --profile): one process per rebuild, in the order of
 * --stores, each with its main thread (reading the log, writing the read models) and its fold
 * thread. Node names them CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile.
 */
function rebuildProfiles(tree: string, rebuilds: Rebuild[]): (ProfileFigures & { store: string; thread: 'main' | 'fold' })[] {
  const byPid = new Map<string, string[]>();
  for (const f of profilesIn(join(tree, 'bench', 'replay', '.data', 'profiles'))) {
    const pid = basename(f).split('.')[3];
    byPid.set(pid, [...(byPid.get(pid) ?? []), f]);
  }
  return [...byPid.values()].flatMap((files, i) => {
    const r = rebuilds[i];
    if (!r) return [];
    return files.map((f) => {
      const thread = basename(f).split('.')[4] === '0' ? ('main' as const) : ('fold' as const);
      const what = `the ${r.store === 'pglite' ? 'PGlite' : 'PostgreSQL'} rebuild's ${thread === 'main' ? 'main thread (the reader, the statements)' : 'fold thread'}, the whole process`;
      return { ...profileFigures(what, f, r.events), store: r.store, thread };
    });
  });
}

async function main(): Promise<void> {
  const tree = privateTree();
  const url = await freshDatabase(databaseUrl(), DB);
  try {
    await measure(tree, url);
  } finally {
    rmSync(tree, { recursive: true, force: true });
    await dropDatabase(databaseUrl(), DB);
  }
}

async function measure(tree: string, url: string): Promise<void> {
  const { rebuilds } = await runReplayBench(tree, url);
  const rows: ResultRow[] = [];
  const notes: string[] = [];
  const bareRates: Record<string, number> = {};
  for (const r of rebuilds) {
    const fixed = FIXED_TARGET[r.store] ?? 100_000;
    let target = fixed;
    let limit = `target ${fmt(fixed)} events/s or half the bare read`;
    let ratio = `${fmt((r.eventsPerSecond / fixed) * 100)} % of ${fmt(fixed)}/s`;
    try {
      const client: SqlClient =
        r.store === 'pglite' ? await PgliteClient.open(join(tree, 'bench', 'replay', '.data', `pglite-${EVENTS}`)) : PgClient.connect(url);
      const schema = r.store === 'pglite' ? 'ledger' : `bench_replay_${EVENTS}`;
      try {
        const bare = await bareRead(client, schema);
        const bareRate = perSecond(bare.events, bare.ms);
        bareRates[r.store] = bareRate;
        target = Math.min(fixed, bareRate / 2);
        limit += `; the same log read by the projector's reader (SqlLogReader, pages of ${fmt(BATCH)}), doing nothing: ${fmt(bareRate)} events/s`;
        ratio += `; ${fmt((r.eventsPerSecond / bareRate) * 100)} % of the bare read`;
        log(BENCH, `${r.store}: bare read ${fmt(bare.events)} events in ${fmt(bare.ms)} ms (${fmt(bareRate)}/s)`);
      } finally {
        await client.close();
      }
    } catch (err) {
      notes.push(`${r.store}: the bare read could not run: ${(err as Error).message}`);
    }
    r.fixedTarget = fixed;
    r.target = target;
    rows.push({
      what: `Replay: the finance read models (every table the projector writes) rebuilt from the log (${r.store === 'pglite' ? 'PGlite' : 'PostgreSQL'})`,
      workload: `${fmt(r.events)} events of bench/replay/synthetic-log.ts (accounts on mixed plans, usage, expiries, period ends, renewals), rebuilt in a child process`,
      figure: `${fmt(r.eventsPerSecond)} events/s (${fmt(r.seconds, 1)} s, peak RSS ${fmt(r.peakRssMb)} MB)`,
      limit,
      ratio,
      command: COMMAND,
      verdict: r.eventsPerSecond >= target ? 'met' : 'missed',
    });
  }
  const profiles = rebuildProfiles(tree, rebuilds);
  notes.push(...profiles.map((f) => profileNote(f, 'log event')));
  const pg = rebuilds.find((r) => r.postgresUs !== undefined);
  if (pg?.postgresUs !== undefined)
    notes.push(
      `PostgreSQL's own CPU during the PostgreSQL rebuild (from /proc, the server's processes, from the log being ready to the rebuild's end): ${fmt(pg.postgresUs, 1)} µs per log event.`,
    );
  notes.push(
    "What is rebuilt: every table of the finance read models (accounts, balances, lots, entries, usage by day and by month, periods, invoices and their lines), as `npm run replay` does. The process managers' own tables (process_deadlines, the notification states) are projections of the log too but are not in this figure: they are rebuilt by resetting their checkpoints, not by the replay command.",
  );
  notes.push(
    "Measured by bench/replay (the projections developer's benchmark, reused as it is), run from a private copy of this commit (git archive HEAD) on a database of its own (ledger_bench_replay), so the log is generated afresh each run (PGlite and PostgreSQL) and no work in progress in the tree or other run can meet it.",
  );
  writeResult({ bench: BENCH, rows, notes, raw: { rebuilds, profiles, bareRates } });
  for (const r of rows) log(BENCH, `${r.what}: ${r.figure} | ${r.limit} | ${r.ratio}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
