// Benchmark 1: end to end through Kafka. The standalone ingestor (apps/ingestor/src/main.ts, its
// own process) consumes topics of this run from the real broker, validates, charges and appends
// to PostgreSQL, then commits its offsets; the process managers run in it, and the finance
// projector runs beside it in a process of its own (apps/projector), as docker-compose and the
// chart deploy them (the ingestor with LEDGER_PROJECTOR=off).
//
//  a. Throughput: BENCH_EVENTS events are produced first (a backlog on 6 partitions per topic);
//     then two floors read all of them, each in a group of its own: a bare kafkajs consumer that
//     does nothing but resolve and commit (the transport's limit), and a kafkajs consumer that
//     INSERTs each batch's records raw into a table of the same PostgreSQL database (one statement
//     per batch, the records as one jsonb document, offsets committed after the INSERT): the real
//     floor of "consume and store". Then the ingestor reads the same backlog; events/s between
//     its first and its last committed offset (all appended by then).
//  b. Latency: with the ingestor caught up, a producer (this process) offers half the ingestor's
//     measured sustained rate (BENCH_LATENCY_RATE overrides it) for BENCH_LATENCY_SECONDS; for
//     each event, from the producer's send to the moment its charge is in the log (so its balance
//     is readable), seen by polling the log every 20 ms.
//  c. The same with an ingestor without its process managers (LEDGER_PROCESS=false), on a second
//     database: its drain of the same records and its latency at the same offered load.
//
//   BENCH_EVENTS=200000 node -r ./deploy/register.js bench/kafka-e2e.ts
import { ChildProcess, spawn } from 'child_process';
import { join } from 'path';
import { Admin, EachBatchPayload, Kafka, logLevel, Message, Partitioners, Producer } from 'kafkajs';
import { PgClient, SqlEventStore } from '@ledger/event-store';
import { eventCount, LedgerSimulator } from './lib/charges';
import { peakRss } from './lib/http';
import {
  brokerCpuMs,
  databaseUrl,
  dropDatabase,
  freshDatabase,
  kafkaBrokers,
  nodeFlagsOf,
  postgresCpuMs,
  processCpuMs,
} from './lib/services';
import { profileFigures, profileNote, profilesIn } from './lib/profile';
import { envInt, fmt, log, now, percentile, perSecond, ResultRow, writeResult } from './lib/report';
import { accounts, CLOCK_AT, topicOf, UsageEvent, usageEvents } from './lib/workload';

const BENCH = 'kafka-e2e';
const EVENTS = envInt('BENCH_EVENTS', 200_000);
const ACCOUNTS = envInt('BENCH_KAFKA_ACCOUNTS', 10_000);
const PARTITIONS = envInt('BENCH_KAFKA_PARTITIONS', 6);
/** Offered load of the latency run; 0: half the ingestor's measured sustained rate. */
const RATE_SETTING = envInt('BENCH_LATENCY_RATE', 0);
const CONCURRENCY = 24; // the ingestor's default KAFKA_CONCURRENCY: the floors consume as it does
const SECONDS = envInt('BENCH_LATENCY_SECONDS', 20);
const DB = 'ledger_bench_kafka';
const DB2 = 'ledger_bench_kafka_nopm';
const ROOT = join(__dirname, '..');
const COMMAND = `BENCH_EVENTS=${EVENTS} BENCH_LATENCY_SECONDS=${SECONDS} node -r ./deploy/register.js bench/kafka-e2e.ts`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const run = `bench${Date.now().toString(36)}`;
const topics = { renders: `${run}.usage.renders`, streaming: `${run}.usage.streaming`, deadLetter: `${run}.usage.dead-letter` };

function message(e: UsageEvent): { topic: string; message: Message } {
  return {
    topic: topicOf(e) === 'usage.renders' ? topics.renders : topics.streaming,
    message: { key: e.subject, value: JSON.stringify(e) },
  };
}

async function produce(producer: Producer, events: UsageEvent[]): Promise<void> {
  const byTopic = new Map<string, Message[]>();
  for (const e of events) {
    const m = message(e);
    const list = byTopic.get(m.topic);
    if (list) list.push(m.message);
    else byTopic.set(m.topic, [m.message]);
  }
  await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
}

async function committed(admin: Admin, groupId: string): Promise<number> {
  let sum = 0;
  for (const t of await admin.fetchOffsets({ groupId, topics: [topics.renders, topics.streaming] }))
    for (const p of t.partitions) sum += Math.max(0, Number(p.offset));
  return sum;
}

/**
 * A kafkajs consumer of its own group on both topics, from the beginning, at the ingestor's
 * concurrency: `handle` each batch, then resolve and commit it; until `total` records.
 */
async function consumeAll(
  kafka: Kafka,
  group: string,
  total: number,
  handle: (batch: EachBatchPayload['batch']) => Promise<void>,
): Promise<{ ms: number; count: number }> {
  const consumer = kafka.consumer({ groupId: `${run}-${group}`, maxBytesPerPartition: 1024 * 1024, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.renders, topics.streaming], fromBeginning: true });
  let count = 0;
  let first = 0;
  let last = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: CONCURRENCY,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      if (!first) first = now();
      if (batch.messages.length === 0) return;
      await handle(batch);
      count += batch.messages.length;
      resolveOffset(batch.messages[batch.messages.length - 1].offset);
      await commitOffsetsIfNecessary({
        topics: [
          { topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(batch.lastOffset()) + 1n).toString() }] },
        ],
      });
      last = now();
      if (count >= total) done();
    },
  });
  await Promise.race([finished, sleep(600_000)]);
  await consumer.disconnect();
  return { ms: last - first, count };
}

/** The bare consumer: reads every record of both topics, does nothing with them. */
const bareConsumer = (kafka: Kafka, total: number) => consumeAll(kafka, 'bare', total, async () => undefined);

/**
 * The floor of "consume and store": each batch's records INSERTed raw into `raw_usage` of the same
 * database (one statement per batch: the values as one jsonb document, read with
 * jsonb_to_recordset), then the offset committed; the same concurrency as the ingestor.
 */
async function rawInsertConsumer(kafka: Kafka, url: string, total: number): Promise<{ ms: number; count: number }> {
  const db = PgClient.connect(url);
  await db.query(`CREATE TABLE IF NOT EXISTS raw_usage (topic text NOT NULL, part int NOT NULL, "offset" bigint NOT NULL, value jsonb NOT NULL,
    PRIMARY KEY (topic, part, "offset"))`);
  const r = await consumeAll(kafka, 'raw', total, async (batch) => {
    let doc = '';
    for (const m of batch.messages) doc += `${doc ? ',' : ''}{"o":${m.offset},"v":${m.value!.toString()}}`;
    await db.query(
      `INSERT INTO raw_usage (topic, part, "offset", value) SELECT $1, $2, x.o, x.v FROM jsonb_to_recordset($3::jsonb) AS x(o bigint, v jsonb)`,
      [batch.topic, batch.partition, `[${doc}]`],
    );
  });
  const [{ n }] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM raw_usage`);
  await db.query(`DROP TABLE raw_usage`);
  await db.close();
  if (Number(n) !== r.count) throw new Error(`raw INSERT floor: ${r.count} records consumed but ${n} rows in raw_usage`);
  return r;
}

const PROFILE_DIR = join(ROOT, 'bench/.work/profiles', run);

/** What every ledger process of this bench runs with: the database, on the bench's simulated clock. */
const ledgerEnv = (url: string): NodeJS.ProcessEnv => ({
  ...process.env,
  DATABASE_URL: url,
  LEDGER_STORE: 'postgres',
  LEDGER_SCHEMA: 'ledger',
  LEDGER_SIMULATION: 'true',
  LEDGER_SIMULATION_START: CLOCK_AT,
});

/**
 * The finance projector as deployed (docker-compose, the chart): its own process on the ingestor's
 * database, so the ingestor runs with LEDGER_PROJECTOR=off and its process managers. It shares
 * the 2 cores; its CPU is counted beside the ingestor's.
 */
function startProjector(url: string): ChildProcess {
  const child = spawn(process.execPath, [...nodeFlagsOf('projector'), '-r', './deploy/register.js', 'apps/projector/src/main.ts'], {
    cwd: ROOT,
    env: { ...ledgerEnv(url), LEDGER_PROCESS: 'false' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[projector] ${d}`));
  return child;
}

function startIngestor(url: string, profile: boolean, group: string, extra: Record<string, string> = {}): ChildProcess {
  const prof = profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...nodeFlagsOf('ingestor'), ...prof, '-r', './deploy/register.js', 'apps/ingestor/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...ledgerEnv(url),
      KAFKA_BROKERS: kafkaBrokers(),
      KAFKA_TOPIC_RENDERS: topics.renders,
      KAFKA_TOPIC_STREAMING: topics.streaming,
      KAFKA_TOPIC_DEAD_LETTER: topics.deadLetter,
      KAFKA_GROUP_ID: group,
      KAFKA_CLIENT_ID: group,
      KAFKA_FROM_BEGINNING: 'true',
      KAFKA_METRICS_LOG_MS: '0',
      LEDGER_PROJECTOR: 'off',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const relay = (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.trim() && !/LOG/.test(line)) process.stderr.write(`[ingestor] ${line}\n`);
  };
  child.stdout!.on('data', relay);
  child.stderr!.on('data', relay);
  return child;
}

/** Opens the workload's accounts in the store at `url`, through the port, with the events the ledger writes. */
async function openAccountsIn(url: string): Promise<number> {
  const store = await SqlEventStore.open(PgClient.connect(url), { schema: 'ledger' });
  const sim = new LedgerSimulator();
  let opened = 0;
  for (const appends of sim.openings(accounts({ accounts: ACCOUNTS }), 2000)) {
    await store.append(appends);
    opened += eventCount(appends);
  }
  await store.close();
  return opened;
}

/** CPU per event (µs) of the ingestor, the projector beside it, PostgreSQL and the broker between the ingestor's first and last commit. */
interface CpuPerEvent {
  ingestor: number;
  projector: number;
  postgres: number;
  broker: number;
}

const cpuTotal = (c: CpuPerEvent) => c.ingestor + c.projector + c.postgres + c.broker;

const cpuNow = (ingestor: ChildProcess, projector: ChildProcess) => ({
  ingestor: processCpuMs(ingestor.pid!),
  projector: processCpuMs(projector.pid!),
  postgres: postgresCpuMs(),
  broker: brokerCpuMs(),
});

/** Waits until the group committed the whole backlog: events/s between its first and last commit, and with start-up. */
async function drain(
  admin: Admin,
  group: string,
  child: ChildProcess,
  projector: ChildProcess,
  startedAt: number,
  total = EVENTS,
): Promise<{ rate: number; withStart: number; cpu?: CpuPerEvent; window?: { fromMs: number; toMs: number; events: number } }> {
  let first: { t: number; c: number; cpu: ReturnType<typeof cpuNow> } | undefined;
  const cpuNowOf = () => cpuNow(child, projector);
  for (;;) {
    const c = await committed(admin, group);
    if (c > 0 && !first) first = { t: now(), c, cpu: cpuNowOf() };
    if (c >= total) break;
    if (child.exitCode !== null) throw new Error(`the ingestor exited (${child.exitCode})`);
    if (now() - startedAt > 900_000) throw new Error(`the ingestor committed ${c} of ${EVENTS} in 15 minutes`);
    await sleep(100);
  }
  const doneAt = now();
  const cpu = first ? cpuNowOf() : undefined;
  const n = first ? total - first.c : 0;
  return {
    rate: first && doneAt > first.t ? perSecond(n, doneAt - first.t) : NaN,
    withStart: perSecond(total, doneAt - startedAt),
    // The drain in the ingestor's CPU profile: its clock starts about when it was spawned.
    window: first ? { fromMs: first.t - startedAt, toMs: doneAt - startedAt, events: n } : undefined,
    cpu:
      first && cpu && n > 0
        ? {
            ingestor: ((cpu.ingestor - first.cpu.ingestor) * 1000) / n,
            projector: ((cpu.projector - first.cpu.projector) * 1000) / n,
            postgres: ((cpu.postgres - first.cpu.postgres) * 1000) / n,
            broker: ((cpu.broker - first.cpu.broker) * 1000) / n,
          }
        : undefined,
  };
}

interface Latency {
  /** Sorted, ms. */
  latencies: number[];
  offered: number;
  offeredRate: number;
  missing: number;
  startedAt: number;
  stoppedAt: number;
}

/**
 * Offers `rate` events/s for SECONDS to the topics and times each from its send until its charge
 * is in the log `pg` reads (after position `head`), polling every 20 ms.
 */
async function latencyRun(pg: PgClient, producer: Producer, head: bigint, rate: number, idPrefix: string, seed: number): Promise<Latency> {
  let after = head;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let observing = true;
  let stopAt = Infinity;
  const observer = (async () => {
    while (observing || sentAt.size > 0) {
      const rows = await pg.query<{ p: string; id: string | null }>(
        `SELECT global_position::text AS p, metadata->'event'->>'id' AS id FROM ledger.events WHERE global_position > $1::bigint ORDER BY global_position LIMIT 50000`,
        [String(after)],
      );
      const seenAt = now();
      for (const r of rows) {
        after = BigInt(r.p);
        const sent = r.id === null ? undefined : sentAt.get(r.id);
        if (sent !== undefined) {
          latencies.push(seenAt - sent);
          sentAt.delete(r.id!);
        }
      }
      if (!observing && rows.length === 0) await sleep(100);
      if (!observing && now() - stopAt > 60_000) break;
      await sleep(20);
    }
  })();
  const offered = [...usageEvents({ accounts: ACCOUNTS, events: rate * SECONDS, idPrefix, seed })];
  const seen = new Set<string>();
  const tick = 10; // ms
  const perTick = Math.max(1, Math.round((rate * tick) / 1000));
  const t0 = now();
  let sent = 0;
  while (sent < offered.length) {
    const due = Math.min(offered.length, Math.floor(((now() - t0) / tick + 1) * perTick));
    if (due > sent) {
      const slice = offered.slice(sent, due);
      const at = now();
      // Duplicates cause no new ledger event: only the first sending of an id is timed.
      for (const e of slice)
        if (!seen.has(e.id)) {
          seen.add(e.id);
          sentAt.set(e.id, at);
        }
      await produce(producer, slice);
      sent = due;
    }
    const next = t0 + (sent / perTick) * tick;
    await sleep(Math.max(0, next - now()));
  }
  const offeredMs = now() - t0;
  stopAt = now();
  observing = false;
  await observer;
  return {
    latencies: latencies.sort((x, y) => x - y),
    offered: offered.length,
    offeredRate: perSecond(offered.length, offeredMs),
    missing: sentAt.size,
    startedAt: t0,
    stoppedAt: stopAt,
  };
}

function latencyFigures(l: Latency) {
  const s = l.latencies;
  return {
    offeredRate: l.offeredRate,
    timed: s.length,
    missing: l.missing,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1],
  };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function main(): Promise<void> {
  const brokers = kafkaBrokers().split(',');
  const url = await freshDatabase(databaseUrl(), DB);
  const kafka = new Kafka({ clientId: `${run}-bench`, brokers, logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: topics.renders, numPartitions: PARTITIONS },
      { topic: topics.streaming, numPartitions: PARTITIONS },
      { topic: topics.deadLetter, numPartitions: 1 },
    ],
  });
  const pg = PgClient.connect(url);
  let ingestor: ChildProcess | undefined;
  let projector: ChildProcess | undefined;
  try {
    // Accounts: opened through the store with the events the ledger writes.
    const opened = await openAccountsIn(url);
    log(BENCH, `${fmt(ACCOUNTS)} accounts opened (${fmt(opened)} events)`);

    // a. The backlog.
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const backlog = [...usageEvents({ accounts: ACCOUNTS, events: EVENTS, idPrefix: `${run}-a` })];
    const t = now();
    for (let i = 0; i < backlog.length; i += 5000) await produce(producer, backlog.slice(i, i + 5000));
    const produceMs = now() - t;
    log(BENCH, `produced ${fmt(EVENTS)} events in ${fmt(produceMs)} ms (${fmt(perSecond(EVENTS, produceMs))}/s)`);

    const bare = await bareConsumer(kafka, EVENTS);
    const bareRate = perSecond(bare.count, bare.ms);
    log(BENCH, `bare kafkajs consumer: ${fmt(bare.count)} records in ${fmt(bare.ms)} ms (${fmt(bareRate)}/s)`);
    const raw = await rawInsertConsumer(kafka, url, EVENTS);
    const rawRate = perSecond(raw.count, raw.ms);
    log(BENCH, `kafkajs consumer INSERTing raw into PostgreSQL: ${fmt(raw.count)} records in ${fmt(raw.ms)} ms (${fmt(rawRate)}/s)`);

    const startedAt = now();
    ingestor = startIngestor(url, process.env.BENCH_PROFILE === '1', `${run}-ledger`);
    projector = startProjector(url);
    const { rate: ingestRate, withStart, cpu, window: drained } = await drain(admin, `${run}-ledger`, ingestor, projector, startedAt);
    const [{ n: stored }] = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ledger.events WHERE metadata ? 'event'`);
    const [{ n: keys }] = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM ledger.dedupe`);
    log(
      BENCH,
      `ingestor: ${fmt(ingestRate)} events/s sustained (${fmt(withStart)}/s with its start-up); ${keys} usage events recorded, ${stored} ledger events`,
    );

    // The ingestor's process managers (projections of the log) follow behind: let them catch up
    // on the backlog first, so the latency below is that of a caught-up ingestor.
    const [{ head }] = await pg.query<{ head: string }>(`SELECT coalesce(max(global_position), 0)::text AS head FROM ledger.events`);
    const caughtUp = now();
    let projectionsMs: number | undefined;
    for (;;) {
      const rows = await pg
        .query<{ behind: string }>(`SELECT count(*)::text AS behind FROM ledger.process_checkpoints WHERE position < $1::bigint`, [head])
        .catch(() => [{ behind: '0' }]);
      if (rows[0].behind === '0') {
        projectionsMs = now() - caughtUp;
        break;
      }
      if (now() - caughtUp > 180_000) break;
      await sleep(200);
    }
    log(
      BENCH,
      projectionsMs === undefined
        ? 'the projections did not catch up within 180 s'
        : `projections caught up ${fmt(projectionsMs)} ms after the last commit`,
    );

    // b. Latency at a fixed offered load.
    const RATE = RATE_SETTING > 0 ? RATE_SETTING : Math.max(100, Math.round(ingestRate / 2));
    const lat = await latencyRun(pg, producer, BigInt(head), RATE, `${run}-b`, 7);
    const offeredWindow = { fromMs: lat.startedAt - startedAt, toMs: lat.stoppedAt - startedAt };
    const rss = ingestor.pid ? peakRss(ingestor.pid) : undefined;
    await stop(ingestor);
    await stop(projector);
    const profiles = profilesIn(PROFILE_DIR);
    const profile = profiles[profiles.length - 1];
    const profileFigs =
      profile && drained
        ? [
            profileFigures("the ingestor's main thread while it drained the backlog", profile, drained.events, drained),
            profileFigures(
              `the ingestor's main thread during the latency run (${fmt(lat.offeredRate)} events/s offered)`,
              profile,
              lat.offered,
              offeredWindow,
            ),
          ]
        : [];

    // c. The same backlog into a second database by an ingestor without the process managers
    // (LEDGER_PROCESS=false: another running copy has them), to show what they cost here.
    // Then the same latency run on it, at the same offered load.
    let noPm: { rate: number; withStart: number; cpu?: CpuPerEvent; latency?: Latency } | undefined;
    if (process.env.BENCH_KAFKA_NO_PM !== '0') {
      const url2 = await freshDatabase(databaseUrl(), DB2);
      const pg2 = PgClient.connect(url2);
      try {
        await openAccountsIn(url2);
        const t2 = now();
        const second = startIngestor(url2, false, `${run}-ledger-nopm`, { LEDGER_PROCESS: 'false' });
        const secondProjector = startProjector(url2);
        try {
          // The backlog and the records of the latency run above.
          noPm = await drain(admin, `${run}-ledger-nopm`, second, secondProjector, t2, EVENTS + lat.offered);
          const [{ head: head2 }] = await pg2.query<{ head: string }>(
            `SELECT coalesce(max(global_position), 0)::text AS head FROM ledger.events`,
          );
          noPm.latency = await latencyRun(pg2, producer, BigInt(head2), RATE, `${run}-c`, 8);
        } finally {
          await stop(second);
          await stop(secondProjector);
        }
        log(
          BENCH,
          `ingestor without process managers: ${fmt(noPm.rate)} events/s sustained; latency p50 ${fmt(percentile(noPm.latency.latencies, 50))} ms, p99 ${fmt(percentile(noPm.latency.latencies, 99))} ms`,
        );
      } finally {
        await pg2.close();
        await dropDatabase(databaseUrl(), DB2);
      }
    }
    await producer.disconnect();

    const { latencies: sorted, offeredRate, missing } = lat;
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    log(
      BENCH,
      `latency at ${fmt(offeredRate)} events/s offered: p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms, max ${fmt(sorted[sorted.length - 1] ?? NaN)} ms (${sorted.length} timed, ${missing} not seen)`,
    );

    const workload = `${fmt(EVENTS)} usage events (renders and streaming sessions, ~2 % duplicates, ~3 % late) on ${fmt(ACCOUNTS)} accounts (mixed plans, hot accounts), 2 topics x ${PARTITIONS} partitions; ingestor on PostgreSQL`;
    const rows: ResultRow[] = [
      {
        what: 'End to end through Kafka: consumed, validated, charged, appended (PostgreSQL), offsets committed',
        workload,
        figure: `${fmt(ingestRate)} events/s sustained`,
        limit: `kafkajs consumer INSERTing the same records raw (batched, jsonb) into the same PostgreSQL: ${fmt(rawRate)} events/s; bare kafkajs consumer doing nothing: ${fmt(bareRate)} events/s`,
        ratio: `${fmt((ingestRate / rawRate) * 100)} % of the raw INSERT consumer (target >= 50 %); ${fmt((ingestRate / bareRate) * 100)} % of the bare consumer`,
        command: COMMAND,
        verdict: ingestRate >= 0.5 * rawRate ? 'met' : 'missed',
      },
      ...(noPm
        ? [
            {
              what: 'End to end through Kafka, the same with the process managers off in the ingestor (LEDGER_PROCESS=false; another copy runs them)',
              workload: `the same ${fmt(EVENTS)} records, a second database with the same accounts`,
              figure: `${fmt(noPm.rate)} events/s sustained`,
              limit: `the same raw INSERT consumer: ${fmt(rawRate)} events/s; the default ingestor above: ${fmt(ingestRate)} events/s`,
              ratio: `${fmt((noPm.rate / rawRate) * 100)} % of the raw INSERT consumer; x${fmt(noPm.rate / ingestRate, 2)} the default ingestor`,
              command: COMMAND,
              verdict: (noPm.rate >= 0.5 * rawRate ? 'met' : 'missed') as ResultRow['verdict'],
            },
          ]
        : []),
      {
        what: 'Event-to-balance latency through Kafka at a fixed offered load',
        workload: `${fmt(lat.offered)} events offered at ${fmt(offeredRate)} events/s (${RATE_SETTING > 0 ? 'BENCH_LATENCY_RATE' : "half the ingestor's sustained rate above"}) for ${SECONDS} s to the caught-up ingestor; from the producer's send to the charge in the log (log polled every 20 ms)`,
        figure: `p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`,
        limit: 'target p99 < 250 ms at 50 % of the measured sustained throughput',
        ratio: `p99 = ${fmt((p99 / 250) * 100)} % of 250 ms`,
        command: COMMAND,
        verdict: p99 < 250 && offeredRate >= RATE * 0.95 && missing === 0 ? 'met' : 'missed',
      },
    ];
    if (noPm?.latency) {
      const l = latencyFigures(noPm.latency);
      rows.push({
        what: 'Event-to-balance latency through Kafka, the ingestor without its process managers (LEDGER_PROCESS=false)',
        workload: `${fmt(noPm.latency.offered)} events offered at ${fmt(l.offeredRate)} events/s, the same rate as above, to that ingestor caught up`,
        figure: `p50 ${fmt(l.p50)} ms, p99 ${fmt(l.p99)} ms`,
        limit: `the default ingestor above: p50 ${fmt(p50)} ms, p99 ${fmt(p99)} ms`,
        ratio: `p99 = ${fmt((l.p99 / 250) * 100)} % of 250 ms`,
        command: COMMAND,
        verdict: 'n/a',
      });
    }
    writeResult({
      bench: BENCH,
      rows,
      raw: {
        run,
        projectionsCatchUpMs: projectionsMs,
        events: EVENTS,
        accounts: ACCOUNTS,
        produceMs,
        bare,
        bareRate,
        raw,
        rawRate,
        ingestRate,
        withStart,
        recordedUsage: Number(keys),
        ledgerEvents: Number(stored),
        latency: latencyFigures(lat),
        ingestorPeakRss: rss,
        noProcessManagers: noPm && { ...noPm, latency: noPm.latency && latencyFigures(noPm.latency) },
        cpuPerEventUs: cpu,
        profiles: profileFigs,
      },
      notes: [
        `Producer: ${fmt(perSecond(EVENTS, produceMs))} events/s into the broker (acks all). Ingestor with its start-up (TypeScript compile, Nest, group join): ${fmt(withStart)} events/s.`,
        `Recorded: ${fmt(Number(keys))} usage events (the rest were duplicates), ${fmt(Number(stored))} ledger events. Latency: ${sorted.length} events timed, ${missing} never seen within 60 s after the load stopped; p90 ${fmt(percentile(sorted, 90))} ms, max ${fmt(sorted[sorted.length - 1] ?? NaN)} ms.`,
        `The ingestor's process managers (deadline and notification projections, in the same process) were still behind when its last offset was committed: they caught up ${projectionsMs === undefined ? 'not within 180 s' : `${fmt(projectionsMs)} ms later`}; the latency run started after that.`,
        `Peak RSS of the ingestor: ${rss ? fmt(rss / 2 ** 20) + ' MiB' : 'n/a'}. The broker (JVM), PostgreSQL, the ingestor and this producer share the 2 cores.`,
        cpu
          ? `CPU per usage event while the ingestor drained the backlog (from /proc, between its first and its last commit): ingestor ${fmt(cpu.ingestor, 1)} µs, the projector beside it ${fmt(cpu.projector, 1)} µs, PostgreSQL ${fmt(cpu.postgres, 1)} µs, broker ${fmt(cpu.broker, 1)} µs: ${fmt((cpuTotal(cpu) * ingestRate) / 1e6, 2)} cores busy at ${fmt(ingestRate)} events/s.` +
            (noPm?.cpu
              ? ` Without the process managers: ingestor ${fmt(noPm.cpu.ingestor, 1)} µs, projector ${fmt(noPm.cpu.projector, 1)} µs, PostgreSQL ${fmt(noPm.cpu.postgres, 1)} µs, broker ${fmt(noPm.cpu.broker, 1)} µs.`
              : '')
          : 'CPU per event: not measured (no commit seen).',
        ...profileFigs.map((f) => profileNote(f)),
      ],
    });
    for (const r of rows) log(BENCH, `${r.what}: ${r.figure} | ${r.limit} | ${r.ratio}`);
  } finally {
    await stop(ingestor);
    await stop(projector);
    await pg.close();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await dropDatabase(databaseUrl(), DB);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
