// One measured rebuild of every read model from a store's log, in a process of its own so its
// peak RSS is the rebuild's. Prints one JSON line. Run by bench-replay.ts:
//   node -r ./deploy/register.js bench/replay/rebuild-once.ts pglite <dataDir> | postgres <url> <schema>
//     [--reader sql|store] [--batch N] [--fold thread|inline] [--timing]
//   --fold: parse and fold the log on a worker thread (default) or on the main thread;
//   --timing: database time per statement, on stderr.
import { readdirSync, readFileSync } from 'fs';
import { GlobalPosition, PgClient, PgliteClient, SqlClient, SqlEventStore } from '@ledger/event-store';
import { LogReader, SqlLogReader, StoreLogReader } from '@ledger/service/projections/log-reader';
import { READ_MODEL_TABLES } from '@ledger/service/projections/read-model-schema';
import { rebuildReadModels } from '@ledger/service/projections/replay';
import { timedClient } from './statement-timing';

const flag = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : fallback;
};

async function main(): Promise<void> {
  const [kind, where, schemaArg] = process.argv.slice(2);
  const opened: SqlClient = kind === 'pglite' ? await PgliteClient.open(where) : PgClient.connect(where);
  const timing = process.argv.includes('--timing') ? timedClient(opened) : undefined;
  const client = timing ?? opened;
  const schema = kind === 'pglite' ? 'ledger' : schemaArg;
  const store = await SqlEventStore.open(client, { schema });
  const reader: LogReader = flag('reader', 'sql') === 'store' ? new StoreLogReader(store) : new SqlLogReader(client, schema);
  const target = `${schema}_rm_bench`;
  let peakRss = process.memoryUsage().rss;
  const cpu: Record<string, number> = {};
  const sample = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    for (const [t, seconds] of Object.entries(threadCpu() ?? {})) cpu[t] = Math.max(cpu[t] ?? 0, seconds);
  }, 100);
  const head: GlobalPosition = await reader.head();
  const result = await rebuildReadModels({
    db: client,
    reader,
    schema: target,
    ledgerSchema: schema,
    upTo: head,
    batchSize: Number(flag('batch', '100000')),
    prefetch: client.concurrent, // as the projector decides for a plain client
    foldThread: flag('fold', 'thread') === 'thread',
  });
  clearInterval(sample);
  if (timing) process.stderr.write(`database time by statement:\n${timing.report()}\n`);
  const rows: Record<string, number> = {};
  for (const t of READ_MODEL_TABLES) {
    const [r] = await client.query<{ n: bigint | string }>(`SELECT count(*) AS n FROM ${target}.${t.name}`);
    rows[t.name] = Number(r.n);
  }
  await client.query(`DROP SCHEMA IF EXISTS ${target} CASCADE`);
  await store.close();
  const maxRssKb = process.resourceUsage().maxRSS;
  for (const [t, seconds] of Object.entries(threadCpu() ?? {})) cpu[t] = Math.max(cpu[t] ?? 0, seconds);
  const threads = Object.keys(cpu).length ? cpu : undefined; // threads gone before the end (the fold thread) included
  process.stdout.write(
    JSON.stringify({
      store: kind,
      events: result.events,
      ms: result.ms,
      eventsPerSecond: Math.round((result.events / result.ms) * 1000),
      peakRssMb: Math.round(Math.max(peakRss, maxRssKb * 1024) / 1048576),
      rows,
      ...(threads ? { threadCpuSeconds: threads } : {}),
    }) + '\n',
  );
}

/**
 * CPU seconds per thread of this process (Linux /proc): the main thread, the fold thread, V8's
 * helpers. On a busy machine wall time says little; the main thread's CPU is what one core must do.
 */
function threadCpu(): Record<string, number> | undefined {
  try {
    const ticks = 100; // USER_HZ
    const out: Record<string, number> = {};
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(f[11]) + Number(f[12])) / ticks;
      if (seconds < 0.5) continue;
      out[Number(tid) === process.pid ? 'main' : `${name}#${tid}`] = Math.round(seconds * 10) / 10;
    }
    return out;
  } catch {
    return undefined;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
