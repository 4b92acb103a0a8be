// `npm run bench:replay`: how fast every read model is rebuilt from a big log.
//
// 1. Generates a realistic log (bench/replay/synthetic-log.ts: the domain decider over many
//    accounts on mixed plans) straight into a store, once: PGlite in bench/replay/.data/, and
//    on the PostgreSQL server of DATABASE_URL in schema bench_replay_<events>. Reused by later
//    runs (--fresh makes it again).
// 2. Rebuilds all projections from it in a child process (bench/replay/rebuild-once.ts) and
//    reports events/s and the child's peak RSS.
//
//   npm run bench:replay -- [--events 1000000] [--stores pglite,postgres] [--runs 1] [--reader sql|store]
//                           [--batch 100000] [--fold thread|inline] [--fresh] [--profile] [--timing]
// --profile writes a CPU profile of each rebuild (node --cpu-prof) to bench/replay/.data/profiles.
import { spawnSync } from 'child_process';
import { existsSync, mkdirSync, rmSync } from 'fs';
import { join } from 'path';
import { EventStore, PgClient, PgliteClient, SqlEventStore } from '@ledger/event-store';
import { nodeFlagsOf } from '../lib/services';
import { appendSyntheticLog } from './synthetic-log';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] && !args[i + 1].startsWith('--') ? args[i + 1] : fallback;
};
const has = (name: string) => args.includes(`--${name}`);

const events = Number(flag('events', '1000000'));
const url = process.env.DATABASE_URL;
const stores = flag('stores', url ? 'pglite,postgres' : 'pglite').split(',');
const runs = Number(flag('runs', '1'));
const root = join(__dirname, '.data');
const repo = join(__dirname, '..', '..');

async function ensureLog(store: EventStore, label: string): Promise<void> {
  const head = await store.headPosition();
  if (head >= BigInt(events)) {
    console.log(`${label}: reusing the generated log (${head} events)`);
    return;
  }
  if (head > 0n) throw new Error(`${label}: a partial log (${head} events) is in the way: run with --fresh`);
  const started = Date.now();
  let shown = 0;
  const n = await appendSyntheticLog(store, {
    events,
    onProgress: (appended) => {
      if (appended - shown >= 100_000) {
        shown = appended;
        process.stdout.write(`\r${label}: generated ${appended} events`);
      }
    },
  });
  console.log(`\r${label}: generated ${n} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function rebuild(label: string, target: string[]): Record<string, any> {
  const profileDir = join(root, 'profiles');
  if (has('profile')) mkdirSync(profileDir, { recursive: true });
  // Node's flags as `npm run replay` has them.
  const node = [
    ...nodeFlagsOf('replay'),
    ...(has('profile') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    '-r',
    './deploy/register.js',
    'bench/replay/rebuild-once.ts',
  ];
  const extra = [...(has('timing') ? ['--timing'] : []), '--fold', flag('fold', 'thread')];
  const child = spawnSync(
    process.execPath,
    [...node, ...target, '--reader', flag('reader', 'sql'), '--batch', flag('batch', '100000'), ...extra],
    {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 24,
    },
  );
  if (child.status !== 0) throw new Error(`${label}: the rebuild failed (exit ${child.status})`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  mkdirSync(root, { recursive: true });
  const results: Record<string, any>[] = [];
  for (const kind of stores) {
    let target: string[];
    if (kind === 'pglite') {
      const dir = join(root, `pglite-${events}`);
      if (has('fresh')) rmSync(dir, { recursive: true, force: true });
      const client = await PgliteClient.open(dir);
      const store = await SqlEventStore.open(client, { schema: 'ledger' });
      await ensureLog(store, 'PGlite');
      await store.close();
      target = ['pglite', dir];
    } else if (kind === 'postgres') {
      if (!url) {
        console.log('PostgreSQL: skipped, DATABASE_URL not set');
        continue;
      }
      const schema = `bench_replay_${events}`;
      const client = PgClient.connect(url);
      if (has('fresh')) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      const store = await SqlEventStore.open(client, { schema });
      await ensureLog(store, 'PostgreSQL');
      await store.close();
      target = ['postgres', url, schema];
    } else throw new Error(`unknown store ${kind} (pglite or postgres)`);
    for (let run = 1; run <= runs; run++) {
      const r = rebuild(kind, target);
      console.log(
        `${kind} run ${run}: rebuilt ${r.events} events in ${(r.ms / 1000).toFixed(2)} s = ${r.eventsPerSecond} events/s, peak RSS ${r.peakRssMb} MB`,
      );
      results.push(r);
    }
  }
  console.log('\nstore     events     seconds  events/s  peak RSS MB  rows');
  for (const r of results) {
    console.log(
      `${r.store.padEnd(9)} ${String(r.events).padEnd(10)} ${(r.ms / 1000).toFixed(2).padStart(7)}  ${String(r.eventsPerSecond).padStart(8)}  ${String(r.peakRssMb).padStart(11)}  ${JSON.stringify(r.rows)}`,
    );
  }
  if (existsSync(join(root, 'profiles')) && has('profile')) console.log(`\nCPU profiles in ${join(root, 'profiles')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
