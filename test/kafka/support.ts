// Shared by the Kafka ingest tests: a real broker (KAFKA_BROKERS), the ledger on PostgreSQL
// (DATABASE_URL, a fresh schema per test) or PGlite (a temp data dir per file, a fresh schema per
// test), topics and groups of their own per test, CloudEvents, waiting and reading helpers.
import { execFileSync, spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { NestFactory } from '@nestjs/core';
import { Admin, Consumer, IHeaders, Kafka, KafkaMessage, logLevel, Message, Partitioners, Producer, RecordMetadata } from 'kafkajs';
import { parseCredits } from '@ledger/domain';
import { PgClient } from '@ledger/event-store';
import { AccountLedger } from '@ledger/service/accounts/account-ledger';
import { AccountCommandResult, OpenAccount, StartPlan } from '@ledger/service/accounts/account.commands';
import { Result } from '@ledger/service/kit/failure';
import { OpenAccountDto, StartPlanDto } from '@ledger/service/accounts/accounts.dto';
import { LedgerModule } from '@ledger/service/ledger.module';
import { LedgerConfig, readConfig } from '@ledger/service/config';
import { createLedgerApp } from '../../apps/ledger/src/create-app';
import { GetBalance } from '@ledger/service/reading/reading.queries';
import { balanceView } from '@ledger/service/reading/views';
import { ADMIN_ENV } from '../support/access';

export const BROKERS = process.env.KAFKA_BROKERS;
export const DATABASE_URL = process.env.DATABASE_URL;
export const REPO_ROOT = join(__dirname, '..', '..');

/** Runs the suite against the broker, or skips it visibly (title and console) without one. */
export function describeKafka(title: string, body: () => void): void {
  if (!BROKERS) {
    // jest does not list a file whose tests are all skipped: say it on the console too
    console.warn(`${title}: skipped, KAFKA_BROKERS not set (deploy/kafka/start.sh prints it)`);
    describe.skip(`${title}: skipped, KAFKA_BROKERS not set`, () => {
      it('needs a Kafka broker: deploy/kafka/start.sh, then KAFKA_BROKERS=127.0.0.1:19092', () => undefined);
    });
    return;
  }
  describe(`${title} (Kafka ${BROKERS}, store ${DATABASE_URL ? 'PostgreSQL server' : 'PGlite'})`, body);
}

// ---------------------------------------------------------------- the secured listener

/** The SASL_SSL listener deploy/kafka/start.sh opens beside the plain one, with what a client needs. */
export interface SecuredListener {
  /** KAFKA_SECURED_BROKERS: `127.0.0.1:19094`. */
  brokers: string;
  /** The file it was read from (`<cache>/run/<port>/secured.env`). */
  file: string;
  /** Its settings as the ledger takes them: KAFKA_SASL_MECHANISM, _USERNAME, _PASSWORD, KAFKA_SSL, KAFKA_SSL_CA_FILE. */
  env: Record<string, string>;
}

/** A TLS handshake with host:port trusting the CA file (argv): exit 0, or 1 with the reason on stderr. */
const TLS_PROBE = `
const [host, port, ca] = process.argv.slice(1);
const socket = require('tls').connect({ host, port: Number(port), ca: require('fs').readFileSync(ca) }, () => { socket.end(); process.exit(0); });
socket.on('error', (err) => { console.error(err.message); process.exit(1); });
setTimeout(() => { console.error('no TLS handshake within 5 s'); process.exit(1); }, 5000);`;

/**
 * The secured listener of the broker on KAFKA_BROKERS, decided when the test file loads: the
 * secured.env start.sh writes while it is up (KAFKA_SECURED_ENV names another), then a TLS
 * handshake with it. Otherwise the reason it cannot be used.
 */
export function securedListener(): SecuredListener | { unavailable: string } {
  if (!BROKERS) return { unavailable: 'KAFKA_BROKERS not set (deploy/kafka/start.sh prints it)' };
  const port = BROKERS.split(',')[0].split(':')[1];
  const cache = process.env.KAFKA_CACHE_DIR ?? join(REPO_ROOT, '.deploy-cache', 'kafka');
  const file = process.env.KAFKA_SECURED_ENV ?? join(cache, 'run', port, 'secured.env');
  if (!existsSync(file))
    return {
      unavailable: `no ${file}: the broker on ${BROKERS} has no SASL_SSL listener of deploy/kafka/start.sh (stop.sh, then start.sh)`,
    };
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  const { KAFKA_SECURED_BROKERS: brokers, ...settings } = env;
  if (!brokers || !settings.KAFKA_SASL_PASSWORD || !settings.KAFKA_SSL_CA_FILE)
    return { unavailable: `${file} lacks KAFKA_SECURED_BROKERS, KAFKA_SASL_PASSWORD or KAFKA_SSL_CA_FILE` };
  const [host, securedPort] = brokers.split(':');
  const probe = spawnSync(process.execPath, ['-e', TLS_PROBE, host, securedPort, settings.KAFKA_SSL_CA_FILE], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.status !== 0)
    return { unavailable: `no TLS handshake with ${brokers}: ${(probe.stderr || probe.error?.message || '').trim()}` };
  return { brokers, file, env: settings };
}

/** Runs the suite against the secured listener, or skips it visibly (title and console) saying why. */
export function describeSecuredKafka(title: string, body: (listener: SecuredListener) => void): void {
  const listener = securedListener();
  if ('unavailable' in listener) {
    // jest does not list a file whose tests are all skipped (nor its console): stderr shows
    process.stderr.write(`${title}: skipped, ${listener.unavailable}\n`);
    describe.skip(`${title}: skipped, ${listener.unavailable}`, () => {
      it('needs the SASL_SSL listener of deploy/kafka/start.sh (KAFKA_SECURED_PORT, 19094)', () => undefined);
    });
    return;
  }
  describe(`${title} (Kafka ${listener.brokers} SASL_SSL, store ${DATABASE_URL ? 'PostgreSQL server' : 'PGlite'})`, () => body(listener));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  describe?: () => string | Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `: ${await describe()}` : ''}`);
    await sleep(100);
  }
}

export const uid = () => randomUUID().replace(/-/g, '').slice(0, 10);

// ---------------------------------------------------------------- Kafka

export function testKafka(clientId = 'ledger-kafka-test'): Kafka {
  return new Kafka({ clientId, brokers: BROKERS!.split(','), logLevel: logLevel.ERROR, connectionTimeout: 5000 });
}

export interface Topics {
  renders: string;
  streaming: string;
  deadLetter: string;
}

/** Three fresh topics (renders, streaming, dead letters) for one test. */
export async function createTopics(admin: Admin, tag: string, partitions = 3): Promise<Topics> {
  const base = `test.${tag}.${uid()}`;
  const topics = { renders: `${base}.renders`, streaming: `${base}.streaming`, deadLetter: `${base}.dead-letter` };
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: topics.renders, numPartitions: partitions },
      { topic: topics.streaming, numPartitions: partitions },
      { topic: topics.deadLetter, numPartitions: 1 },
    ],
  });
  return topics;
}

export const deleteTopics = (admin: Admin, t: Topics) =>
  admin.deleteTopics({ topics: [t.renders, t.streaming, t.deadLetter], timeout: 10_000 }).catch(() => undefined);

export function producerOf(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: false, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
}

/** A client of the test broker with its admin and producer connected (a suite's beforeAll). */
export async function connectBroker(): Promise<{ kafka: Kafka; admin: Admin; producer: Producer }> {
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  const producer = producerOf(kafka);
  await producer.connect();
  return { kafka, admin, producer };
}

/**
 * The hooks of a spec on the broker: connects an admin and a producer before all (handed to
 * `connected`), closes the spec's services after each test, and after all deletes its topics
 * (only then: a producer that wrote to a topic fails its metadata refreshes once it is deleted),
 * disconnects and drops its stores.
 */
export function useBroker(
  place: { stores: Stores; apps: INestApplication[]; topicSets: Topics[] },
  connected: (c: { kafka: Kafka; admin: Admin; producer: Producer }) => void,
): void {
  let c: { kafka: Kafka; admin: Admin; producer: Producer } | undefined;
  beforeAll(async () => {
    c = await connectBroker();
    connected(c);
  });
  afterEach(async () => {
    for (const app of place.apps.splice(0)) await app.close();
  });
  afterAll(async () => {
    await c?.producer.disconnect();
    for (const t of place.topicSets.splice(0)) if (c) await deleteTopics(c.admin, t);
    await c?.admin.disconnect();
    await place.stores.cleanup();
  });
}

/** Sends in chunks, acks -1; key = account id (the subject). */
export async function produce(producer: Producer, topic: string, messages: Message[], chunk = 500): Promise<RecordMetadata[]> {
  const out: RecordMetadata[] = [];
  for (let i = 0; i < messages.length; i += chunk)
    out.push(...(await producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk) })));
  return out;
}

/** Committed offset of the group == high watermark, on every partition of these topics. */
export async function caughtUp(admin: Admin, groupId: string, topics: string[]): Promise<boolean> {
  const committed = await admin.fetchOffsets({ groupId, topics });
  for (const topic of topics) {
    const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
    for (const p of await admin.fetchTopicOffsets(topic)) {
      const c = Number(mine.find((m) => m.partition === p.partition)?.offset ?? -1);
      if (Number(p.high) > 0 && c !== Number(p.high)) return false;
    }
  }
  return true;
}

export async function lagReport(admin: Admin, groupId: string, topics: string[]): Promise<string> {
  const committed = await admin.fetchOffsets({ groupId, topics });
  const parts: string[] = [];
  for (const topic of topics)
    for (const p of await admin.fetchTopicOffsets(topic))
      parts.push(
        `${topic}[${p.partition}] ${committed.find((c) => c.topic === topic)?.partitions.find((m) => m.partition === p.partition)?.offset}/${p.high}`,
      );
  return parts.join(', ');
}

export interface Received {
  partition: number;
  message: KafkaMessage;
}

/** Reads a topic from the beginning until `count` records arrived (with a group of its own). */
export async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs = 20_000): Promise<Received[]> {
  const got: Received[] = [];
  const consumer: Consumer = kafka.consumer({ groupId: `reader-${uid()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void got.push({ partition, message }) });
    await waitFor(
      `${count} records on ${topic}`,
      () => got.length >= count,
      timeoutMs,
      () => `got ${got.length}`,
    );
    await sleep(300); // anything more than expected would show up here
  } finally {
    await consumer.disconnect();
  }
  return got;
}

export const headerText = (headers: IHeaders | undefined, name: string): string | undefined => {
  const v = headers?.[name];
  return v === undefined ? undefined : Array.isArray(v) ? v.map(String).join(',') : v.toString();
};

/** kcat (installed by deploy/kafka/install-kcat.sh when missing). */
export function kcatPath(): string {
  return execFileSync('bash', [join(REPO_ROOT, 'deploy/kafka/install-kcat.sh')], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop()!;
}

// ---------------------------------------------------------------- store and ledger

/** One per test file: PGlite data dir (created lazily) or the PostgreSQL server. Schemas are fresh per test. */
export class Stores {
  private dir?: string;
  private readonly schemas: string[] = [];

  constructor(private readonly tag: string) {}

  /** Environment of a fresh store for one test. */
  fresh(): Record<string, string> {
    const schema = `kafka_${this.tag}_${process.pid}_${this.schemas.length}_${uid()}`.toLowerCase();
    this.schemas.push(schema);
    if (DATABASE_URL) return { LEDGER_STORE: 'postgres', DATABASE_URL, LEDGER_SCHEMA: schema };
    this.dir ??= mkdtempSync(join(tmpdir(), `ledger-kafka-${this.tag}-`));
    return { LEDGER_STORE: 'pglite', LEDGER_DATA_DIR: this.dir, LEDGER_SCHEMA: schema };
  }

  async cleanup(): Promise<void> {
    if (DATABASE_URL) {
      const client = PgClient.connect(DATABASE_URL);
      try {
        for (const s of this.schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      } finally {
        await client.close();
      }
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The environment of the ledger with the Kafka ingest on these topics and group. */
export function kafkaEnv(topics: Topics, groupId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: BROKERS!,
    KAFKA_CLIENT_ID: 'ledger-test',
    KAFKA_GROUP_ID: groupId,
    KAFKA_TOPIC_RENDERS: topics.renders,
    KAFKA_TOPIC_STREAMING: topics.streaming,
    KAFKA_TOPIC_DEAD_LETTER: topics.deadLetter,
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    KAFKA_METRICS_LOG_MS: '0',
    ...extra,
  };
}

/** The configuration through the service's own reader (only these settings, not the test's env). */
export const configOf = (env: Record<string, string>): LedgerConfig => readConfig({ ...ADMIN_ENV, ...env });

/** The all-in-one HTTP service (with the ingestor when the config has `kafka`), initialised. */
export async function startService(config: LedgerConfig): Promise<INestApplication> {
  const app = await createLedgerApp(config, { logger: ['error', 'warn'] });
  await app.init();
  return app;
}

/** The ledger without HTTP (and without Kafka unless the config has it). */
export function startContext(config: LedgerConfig): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(LedgerModule.forRoot(config), { logger: ['error', 'warn'] });
}

export async function openAccounts(app: INestApplicationContext, ids: string[], plan: StartPlanDto['plan'] = 'api_scale'): Promise<void> {
  const bus = app.get(CommandBus);
  const run = async (command: OpenAccount | StartPlan) => {
    const r = await bus.execute<typeof command, AccountCommandResult>(command);
    if (!r.ok) throw new Error(`${command.constructor.name}: ${r.failure.message}`);
  };
  for (const accountId of ids) {
    await run(new OpenAccount(Object.assign(new OpenAccountDto(), { accountId, name: `Test ${accountId}` })));
    await run(new StartPlan(accountId, Object.assign(new StartPlanDto(), { plan })));
  }
}

/** Available API credits now, in micro-credits. */
export async function available(app: INestApplicationContext, accountId: string): Promise<bigint> {
  const view = await app.get(QueryBus).execute<GetBalance, Result<ReturnType<typeof balanceView>>>(new GetBalance(accountId));
  if (!view.ok) throw new Error(`balances of ${accountId}: ${view.failure.message}`);
  return parseCredits(view.value.wallets.api.available);
}

export const credits = (text: string) => parseCredits(text);

/** Every UsageCharged of an account with the event that caused it and its provenance. */
export async function charges(app: INestApplicationContext, accountId: string) {
  const history = await app.get(AccountLedger).history(accountId);
  return history.flatMap((h) =>
    h.event.type === 'UsageCharged'
      ? [
          {
            source: h.event.data.usage.ref.source,
            id: h.event.data.usage.ref.id,
            credits: h.event.data.priced.credits,
            provenance: h.recorded.metadata,
          },
        ]
      : [],
  );
}

/** Keys `source id` seen more than once. */
export const repeated = (xs: { source: string; id: string }[]) => {
  const seen = new Map<string, number>();
  for (const x of xs) seen.set(`${x.source} ${x.id}`, (seen.get(`${x.source} ${x.id}`) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1);
};

// ---------------------------------------------------------------- events

export const SOURCE = 'renderer/test';

export interface RenderOptions {
  id?: string;
  source?: string;
  engine?: 'unlimited' | 'avatar_iv';
  durationMs?: number;
  time?: string;
}

/** render.completed of avatar_video: unlimited 10 s = one started 30 s block = 0.5 credit. */
export function renderEvent(accountId: string, o: RenderOptions = {}) {
  return {
    specversion: '1.0',
    id: o.id ?? randomUUID(),
    source: o.source ?? SOURCE,
    type: 'render.completed',
    time: o.time ?? new Date().toISOString(),
    subject: accountId,
    datacontenttype: 'application/json',
    data: {
      jobId: `job_${uid()}`,
      product: 'avatar_video',
      engine: o.engine ?? 'unlimited',
      durationMs: o.durationMs ?? 10_000,
      resolution: '1080p',
      watermarked: false,
    },
  };
}

export function renderFailedEvent(accountId: string) {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: SOURCE,
    type: 'render.failed',
    time: new Date().toISOString(),
    subject: accountId,
    data: { jobId: `job_${uid()}`, product: 'avatar_video', reason: 'timeout' },
  };
}

/** streaming.session.ended, integration api: 1 credit per 300 s. */
export function streamingEvent(accountId: string, seconds: number) {
  const end = new Date();
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: 'gateway/test',
    type: 'streaming.session.ended',
    time: end.toISOString(),
    subject: accountId,
    data: {
      sessionId: `sess_${uid()}`,
      integration: 'api',
      startedAt: new Date(end.getTime() - seconds * 1000).toISOString(),
      endedAt: end.toISOString(),
    },
  };
}

export const record = (e: { subject: string }, headers?: IHeaders): Message => ({
  key: e.subject,
  value: JSON.stringify(e),
  ...(headers ? { headers } : {}),
});

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** Sums a Prometheus counter over its label sets. */
export function metric(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}
