// Benchmark 2: store appends. The charges the ledger writes for a realistic workload (batches of
// BENCH_APPEND_BATCH usage events, each batch one append over many account streams with expected
// versions and dedupe keys), appended
//   - through the event-store port on PostgreSQL and on PGlite (SqlEventStore.append),
//   - as a raw batched INSERT of the same event rows into a table with the same columns and
//     indexes, in the same database (the faster of two forms: unnest arrays, jsonb_to_recordset),
//   - through emmett's PostgreSQL event store (@event-driven-io/emmett-postgresql), one
//     appendToStream per stream with its expected version, BENCH_EMMETT_CONCURRENCY at a time.
//   - through the port as it was before the chain (tamper evidence: each event's hash and the log's
//     digest): the SqlEventStore of commit CHAIN_BASE, taken from git into bench/.work, on the same
//     database, so the chain's cost per append is a ratio measured in the same run.
// The sides alternate batch by batch, so background load hits them alike. Throughput = events
// over the summed append time of that side.
//
//   BENCH_APPEND_EVENTS=60000 node -r ./deploy/register.js bench/store-append.ts
import { AccountSpec, accounts, usageEvents } from './lib/workload';
import { eventCount, LedgerSimulator } from './lib/charges';
import { databaseUrl, dropDatabase, freshDatabase, postgresVersion } from './lib/services';
import { envInt, fmt, log, now, perSecond, ResultRow, writeResult } from './lib/report';
import { execFileSync, spawn } from 'child_process';
import { existsSync, mkdirSync } from 'fs';
import { join } from 'path';
import { PgClient, PgliteClient, SqlClient, SqlEventStore, StreamAppend } from '@ledger/event-store';
import { WORK_DIR } from './lib/report';

const BENCH = 'store-append';
const EVENTS = envInt('BENCH_APPEND_EVENTS', 60_000);
const ACCOUNTS = envInt('BENCH_APPEND_ACCOUNTS', 5_000);
const BATCH = envInt('BENCH_APPEND_BATCH', 1_000);
const EMMETT_CONCURRENCY = envInt('BENCH_EMMETT_CONCURRENCY', 8);
const DB = 'ledger_bench_append';
const COMMAND = `BENCH_APPEND_EVENTS=${EVENTS} BENCH_APPEND_ACCOUNTS=${ACCOUNTS} node -r ./deploy/register.js bench/store-append.ts`;

/** The last commit before the chain: its store is the side "before the chain". */
const CHAIN_BASE = 'eff2d32';
const BEFORE_CHAIN = 'port before the chain';

/**
 * The SqlEventStore of CHAIN_BASE (its libs/event-store, extracted once from git into bench/.work;
 * its imports are all inside that folder), or undefined when the commit is not in this clone.
 */
async function storeBeforeChain(): Promise<typeof SqlEventStore | undefined> {
  const root = join(__dirname, '..');
  const dir = join(WORK_DIR, `event-store-${CHAIN_BASE}`);
  const file = join(dir, 'libs/event-store/src/sql/sql-event-store.ts');
  try {
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const tar = execFileSync('git', ['archive', '--format=tar', CHAIN_BASE, 'libs/event-store/src'], { cwd: root, maxBuffer: 1 << 28 });
      execFileSync('tar', ['-x', '-C', dir], { input: tar });
    }
  } catch {
    log(BENCH, `commit ${CHAIN_BASE} is not in this clone: no side "${BEFORE_CHAIN}"`);
    return undefined;
  }
  return ((await import(file)) as { SqlEventStore: typeof SqlEventStore }).SqlEventStore;
}

type Side = {
  name: string;
  setup(batches: StreamAppend[][]): Promise<void>;
  append(batch: StreamAppend[]): Promise<void>;
  close(): Promise<void>;
};

/** Our port on a SQL client (`Store`: this tree's, or the one before the chain). */
function portSide(name: string, client: SqlClient, schema: string, Store: typeof SqlEventStore = SqlEventStore): Side {
  let store: SqlEventStore;
  return {
    name,
    async setup(openings) {
      store = await Store.open(client, { schema, ownsClient: false });
      for (const b of openings) await store.append(b);
    },
    async append(batch) {
      await store.append(batch);
    },
    close: () => client.close(),
  };
}

/** Raw batched INSERT of the event rows, into a copy of the events table (same columns and indexes). */
function rawSide(name: string, client: SqlClient, schema: string, form: 'unnest' | 'jsonb'): Side {
  let position = 0;
  const versions = new Map<string, number>();
  const rowsOf = (batch: StreamAppend[]) => {
    const rows: { p: number; s: string; v: number; t: string; d: unknown; m: unknown }[] = [];
    for (const a of batch) {
      let v = versions.get(a.streamId) ?? 0;
      for (const e of a.events) rows.push({ p: ++position, s: a.streamId, v: ++v, t: e.type, d: e.data, m: e.metadata ?? {} });
      versions.set(a.streamId, v);
    }
    return rows;
  };
  const insert = async (batch: StreamAppend[]) => {
    const rows = rowsOf(batch);
    if (form === 'unnest') {
      await client.query(
        `INSERT INTO ${schema}.events (global_position, stream_id, stream_version, type, data, metadata)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::jsonb[], $6::jsonb[])`,
        [
          rows.map((r) => r.p),
          rows.map((r) => r.s),
          rows.map((r) => r.v),
          rows.map((r) => r.t),
          rows.map((r) => JSON.stringify(r.d)),
          rows.map((r) => JSON.stringify(r.m)),
        ],
      );
    } else {
      await client.query(
        `INSERT INTO ${schema}.events (global_position, stream_id, stream_version, type, data, metadata)
         SELECT x.p, x.s, x.v, x.t, x.d, x.m FROM jsonb_to_recordset($1::jsonb) AS x(p bigint, s text, v int, t text, d jsonb, m jsonb)`,
        [JSON.stringify(rows)],
      );
    }
  };
  return {
    name,
    async setup(openings) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query(`CREATE TABLE ${schema}.events (
        global_position bigint PRIMARY KEY, stream_id text NOT NULL, stream_version integer NOT NULL, type text NOT NULL,
        data jsonb NOT NULL, metadata jsonb NOT NULL DEFAULT '{}', recorded_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (stream_id, stream_version))`);
      for (const b of openings) await insert(b);
    },
    append: insert,
    close: () => client.close(),
  };
}

/** emmett's PostgreSQL event store, loaded as its package says (CommonJS build here). */
async function emmettSide(url: string): Promise<Side> {
  const { getPostgreSQLEventStore } = await import('@event-driven-io/emmett-postgresql');
  const es = getPostgreSQLEventStore(url);
  const appendAll = async (batch: StreamAppend[]) => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < batch.length; i = next++) {
        const a = batch[i];
        if (a.events.length === 0) continue;
        await es.appendToStream(a.streamId, a.events.map((e) => ({ type: e.type, data: e.data, metadata: e.metadata })) as never, {
          expectedStreamVersion: BigInt(a.expectedVersion as number),
        });
      }
    };
    await Promise.all(Array.from({ length: EMMETT_CONCURRENCY }, worker));
  };
  return {
    name: 'emmett (PostgreSQL)',
    async setup(openings) {
      await es.schema.migrate();
      for (const b of openings) await appendAll(b);
    },
    append: appendAll,
    close: () => es.close(),
  };
}

interface Measured {
  rows: number;
  batches: number;
  streamsPerBatch: number;
  spent: [string, number][];
}

/** One process per store: PGlite's engine in the same process as the PostgreSQL sides slowed them down. */
async function measure(which: string): Promise<Measured> {
  const url = which.includes('postgres') ? await freshDatabase(databaseUrl(), DB) : '';
  log(BENCH, `workload: ${ACCOUNTS} accounts, ${EVENTS} usage events in batches of ${BATCH}`);

  // The rows: what the ledger appends to open the accounts (setup), then for the usage (timed).
  const sim = new LedgerSimulator();
  const specs: AccountSpec[] = accounts({ accounts: ACCOUNTS });
  const openings = [...sim.openings(specs)];
  const all = [...usageEvents({ accounts: ACCOUNTS, events: EVENTS, idPrefix: 'append' })];
  const batches: StreamAppend[][] = [];
  for (let i = 0; i < all.length; i += BATCH) batches.push(sim.appendsOf(LedgerSimulator.items(all.slice(i, i + BATCH), i)));
  const rows = batches.reduce((n, b) => n + eventCount(b), 0);
  const streamsPerBatch = batches.reduce((n, b) => n + b.length, 0) / batches.length;
  log(BENCH, `${rows} events to append in ${batches.length} appends (${fmt(streamsPerBatch)} streams each on average)`);

  const sides: Side[] = [];
  const Unchained = await storeBeforeChain();
  if (which.includes('postgres')) {
    sides.push(
      portSide('port on PostgreSQL', PgClient.connect(url), 'bench_port'),
      rawSide('raw INSERT, unnest (PostgreSQL)', PgClient.connect(url), 'bench_raw_unnest', 'unnest'),
      rawSide('raw INSERT, jsonb (PostgreSQL)', PgClient.connect(url), 'bench_raw_jsonb', 'jsonb'),
      await emmettSide(url),
    );
    if (Unchained) sides.push(portSide(`${BEFORE_CHAIN} (PostgreSQL)`, PgClient.connect(url), 'bench_port_unchained', Unchained));
  }
  if (which.includes('pglite')) {
    const pglite = await PgliteClient.open();
    sides.push(
      portSide('port on PGlite', pglite, 'bench_port'),
      rawSide('raw INSERT, unnest (PGlite)', pglite, 'bench_raw_unnest', 'unnest'),
      rawSide('raw INSERT, jsonb (PGlite)', pglite, 'bench_raw_jsonb', 'jsonb'),
    );
    if (Unchained) sides.push(portSide(`${BEFORE_CHAIN} (PGlite)`, pglite, 'bench_port_unchained', Unchained));
  }
  for (const s of sides) await s.setup(openings);
  log(BENCH, `accounts opened on every side (${openings.reduce((n, b) => n + eventCount(b), 0)} events each)`);

  const spent = new Map<string, number>(sides.map((s) => [s.name, 0]));
  for (let i = 0; i < batches.length; i++) {
    // Rotate who goes first, so no side always follows the same neighbour.
    for (let k = 0; k < sides.length; k++) {
      const s = sides[(i + k) % sides.length];
      const t = now();
      await s.append(batches[i]);
      spent.set(s.name, spent.get(s.name)! + now() - t);
    }
    if ((i + 1) % 10 === 0) log(BENCH, `${i + 1}/${batches.length} batches`);
  }
  for (const s of sides) await s.close();
  // The database is dropped by the parent once this process is gone: emmett's pool may still hold
  // a connection here, and a forced drop under it is an unhandled error in its pool.
  return { rows, batches: batches.length, streamsPerBatch, spent: [...spent] };
}

function measureInChild(which: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['-r', './deploy/register.js', __filename, '--child'], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, BENCH_APPEND_STORES: which },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`store-append (${which}) exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) {
    const measured = await measure(process.env.BENCH_APPEND_STORES ?? 'postgres,pglite');
    // Exit once written: a pool left open (emmett's) must not keep this process alive.
    process.stdout.write(`${JSON.stringify(measured)}\n`, () => process.exit(0));
    return;
  }
  const pgVersion = await postgresVersion(databaseUrl());
  const parts = [await measureInChild('postgres'), await measureInChild('pglite')];
  await dropDatabase(databaseUrl(), DB);
  const { rows, batches: batchCount, streamsPerBatch } = parts[0];
  const spent = new Map<string, number>(parts.flatMap((p) => p.spent));

  const rate = (name: string) => perSecond(rows, spent.get(name)!);
  const port = rate('port on PostgreSQL');
  const rawPg = Math.max(rate('raw INSERT, unnest (PostgreSQL)'), rate('raw INSERT, jsonb (PostgreSQL)'));
  const emmett = rate('emmett (PostgreSQL)');
  const lite = rate('port on PGlite');
  const rawLite = Math.max(rate('raw INSERT, unnest (PGlite)'), rate('raw INSERT, jsonb (PGlite)'));
  const workload = `${fmt(rows)} ledger events (charges) of ${fmt(EVENTS)} usage events on ${fmt(ACCOUNTS)} accounts; one append per ${fmt(BATCH)} usage events (~${fmt(streamsPerBatch)} streams, expected versions, dedupe keys)`;
  const tableRows: ResultRow[] = [
    {
      what: 'Store append, port on PostgreSQL vs raw batched INSERT',
      workload,
      figure: `${fmt(port)} events/s`,
      limit: `raw batched INSERT of the same rows, same database: ${fmt(rawPg)} events/s`,
      ratio: `${fmt((port / rawPg) * 100)} % (target >= 50 %)`,
      command: COMMAND,
      verdict: port / rawPg >= 0.5 ? 'met' : 'missed',
    },
    {
      what: 'Store append, port on PostgreSQL vs emmett',
      workload,
      figure: `${fmt(port)} events/s`,
      limit: `emmett-postgresql 0.42 appendToStream per stream (${EMMETT_CONCURRENCY} concurrent): ${fmt(emmett)} events/s`,
      ratio: `x${fmt(port / emmett, 1)} (target: ahead, > x1)`,
      command: COMMAND,
      verdict: port > emmett ? 'met' : 'missed',
    },
    {
      what: 'Store append, port on PGlite vs raw batched INSERT',
      workload,
      figure: `${fmt(lite)} events/s`,
      limit: `raw batched INSERT of the same rows, same PGlite: ${fmt(rawLite)} events/s`,
      ratio: `${fmt((lite / rawLite) * 100)} % (target >= 50 %)`,
      command: COMMAND,
      verdict: lite / rawLite >= 0.5 ? 'met' : 'missed',
    },
  ];
  // The chain's cost per append: this tree's port against the one before the chain, same run, same database.
  for (const [db, chained] of [
    ['PostgreSQL', port],
    ['PGlite', lite],
  ] as const) {
    const before = spent.has(`${BEFORE_CHAIN} (${db})`) ? rate(`${BEFORE_CHAIN} (${db})`) : undefined;
    if (before === undefined) continue;
    tableRows.push({
      what: `Store append with the chain (each event's hash and the log's digest) vs the port before it, ${db}`,
      workload,
      figure: `${fmt(chained)} events/s`,
      limit: `the port of commit ${CHAIN_BASE} (no chain), same database: ${fmt(before)} events/s`,
      ratio: `${fmt((chained / before) * 100)} % (the chain costs ${fmt((1 - chained / before) * 100)} % of append throughput)`,
      command: COMMAND,
      verdict: 'n/a',
    });
  }
  const raw = Object.fromEntries(
    [...spent].map(([k, ms]) => [k, { ms: Math.round(ms), eventsPerSecond: Math.round(perSecond(rows, ms)) }]),
  );
  writeResult({
    bench: BENCH,
    rows: tableRows,
    raw: { rows, batches: batchCount, streamsPerBatch, sides: raw, postgres: pgVersion },
    notes: [
      `Per side (events/s): ${Object.entries(raw)
        .map(([k, v]) => `${k} ${fmt(v.eventsPerSecond)}`)
        .join('; ')}.`,
      'The port writes more than the raw INSERT: the streams table (versions), the dedupe table (one key per usage event), and checks expected versions and keys first, all in one transaction under the writer lock.',
      "The PostgreSQL sides and the PGlite sides run in two processes of their own, one after the other (PGlite's engine in the same process slowed the PostgreSQL sides down); within each, the sides alternate batch by batch.",
      `emmett has no multi-stream append: each stream of a batch is its own appendToStream (own transaction), ${EMMETT_CONCURRENCY} at a time over its pool; it keeps no dedupe keys.`,
      `The chain: "${BEFORE_CHAIN}" is the SqlEventStore of commit ${CHAIN_BASE} (libs/event-store from git, in bench/.work), alternating with this tree's on the same database; the difference is the canonical JSON and two SHA-256 per event (its hash, the log's digest), two bytea columns per event and one per stream.`,
    ],
  });
  for (const r of tableRows) log(BENCH, `${r.what}: ${r.figure} | ${r.limit} | ${r.ratio}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
