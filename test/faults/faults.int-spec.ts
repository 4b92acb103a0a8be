// The fault suite: the real processes on a PostgreSQL cluster and a Kafka broker of its own
// (started here, on ports nobody else uses, and removed afterwards): the HTTP service (process
// managers on, no consumer, no projector), two standalone ingestors and the finance projector.
// A stream of usage events is produced through kafkajs while faults are injected, in turn:
// an ingestor SIGKILLed (a new one started), the projector SIGKILLed (a new one started), the
// service SIGKILLed (started again), PostgreSQL stopped with `pg_ctl -m immediate` (started
// again: crash recovery) and the broker restarted on its kept data. At the end every event is
// charged exactly once, the balances are what the events cost (computed here), the entries read
// through the read models say the same, and `replay --verify` finds the read models identical.
import { ChildProcess, spawn } from 'child_process';
import { existsSync, readdirSync, rmSync } from 'fs';
import { join } from 'path';
import { Admin, Kafka, logLevel, Producer } from 'kafkajs';
import { Client } from 'pg';
import { ADMIN_ENV, TEST_ADMIN_KEY } from '../support/access';
import { seededRandom } from '../support/seeded-random';
import {
  caughtUp,
  createTopics,
  freePort,
  lagReport,
  metric,
  producerOf,
  record,
  renderEvent,
  REPO_ROOT,
  sleep,
  Topics,
  uid,
  waitFor,
} from '../kafka/support';

const EVENTS = Number(process.env.FAULTS_EVENTS ?? 3000);
const ACCOUNTS = 30;
const ROUNDS = Number(process.env.FAULTS_ROUNDS ?? 3); // each kind of fault this many times
const PG_PORT = Number(process.env.FAULTS_PG_PORT ?? 54349);
const KAFKA_PORT = Number(process.env.FAULTS_KAFKA_PORT ?? 29192);
const PG_DIR = `/tmp/ledger-pg-faults-${PG_PORT}`;
const BROKERS = `127.0.0.1:${KAFKA_PORT}`;

const FAULTS = ['ingestor', 'projector', 'service', 'postgres', 'broker'] as const;
type Fault = (typeof FAULTS)[number];

/** Why this machine cannot run the suite, or undefined. */
function missing(): string | undefined {
  const onPath = (tool: string) => (process.env.PATH ?? '').split(':').some((d) => d && existsSync(join(d, tool)));
  for (const tool of ['java', 'javac', 'mvn']) if (!onPath(tool)) return `${tool} not found (the broker needs a JDK 17+ and Maven)`;
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
  if (!versions.some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`) && existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`)))
    return 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin';
  return undefined;
}

/** Runs a deploy script (async: the children's pipes keep being read meanwhile); its stdout, or a failure with its stderr. */
function script(path: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, path)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path} exited ${code}:\n${err.slice(-3000)}`))));
  });
}

const pgEnv = { LEDGER_PG_PORT: String(PG_PORT), LEDGER_PG_DIR: PG_DIR };
const kafkaScriptEnv = { KAFKA_PORT: String(KAFKA_PORT), KAFKA_SECURED_PORT: '0' };

interface Child {
  name: string;
  child: ChildProcess;
  log: string[];
  killed: boolean;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const base = () =>
  Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(KAFKA_|LEDGER_|DATABASE_URL$|NODE_OPTIONS$|PORT$|PROJECTOR_PORT$)/.test(k)),
  );

function start(name: string, entry: string, env: Record<string, string>, args: string[] = []): Child {
  const child = spawn(process.execPath, ['--max-semi-space-size=32', '-r', './deploy/register.js', entry, ...args], {
    cwd: REPO_ROOT,
    env: { ...base(), ...ADMIN_ENV, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(...chunk.toString().split('\n').filter(Boolean));
    if (log.length > 400) log.splice(0, log.length - 400);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { name, child, log, killed: false, exited };
}

const alive = (c: Child) => c.child.exitCode === null && c.child.signalCode === null;

async function kill9(c: Child): Promise<void> {
  c.killed = true;
  c.child.kill('SIGKILL');
  await c.exited;
}

/** Ok within the time, else undefined (a server restarting, a connection refused). */
async function tryHttp(url: string, init: RequestInit = {}): Promise<Response | undefined> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  } catch {
    return undefined;
  }
}

/** Credits as millionths (the ledger's decimal strings, up to 6 places). */
const micro = (text: string): bigint => {
  const neg = text.startsWith('-');
  const [whole, frac = ''] = text.replace('-', '').split('.');
  const v = BigInt(whole) * 1_000_000n + BigInt((frac + '000000').slice(0, 6));
  return neg ? -v : v;
};

const why = missing();
if (why) process.stderr.write(`fault suite: skipped, ${why}\n`);
const describeFaults = why ? describe.skip : describe;

describeFaults(why ? `fault suite: skipped, ${why}` : `fault suite (PostgreSQL 127.0.0.1:${PG_PORT}, Kafka ${BROKERS}, their own)`, () => {
  const schema = `faults_${uid()}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:${PG_PORT}/ledger`;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let topics: Topics;
  const groupId = `ledger-faults-${uid()}`;
  const children: Child[] = [];
  let pgStarted = false;
  let kafkaStarted = false;

  beforeAll(async () => {
    rmSync(PG_DIR, { recursive: true, force: true });
    rmSync(`${PG_DIR}-tls`, { recursive: true, force: true });
    pgStarted = true;
    await script('deploy/postgres/start.sh', pgEnv);
    kafkaStarted = true;
    await script('deploy/kafka/start.sh', kafkaScriptEnv);
    kafka = new Kafka({ clientId: 'ledger-faults-test', brokers: [BROKERS], logLevel: logLevel.NOTHING, connectionTimeout: 5000 });
    admin = kafka.admin();
    await admin.connect();
    producer = producerOf(kafka);
    await producer.connect();
    topics = await createTopics(admin, 'faults', 6);
  }, 240_000);

  afterAll(async () => {
    for (const c of children) if (alive(c)) c.child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    if (kafkaStarted) await script('deploy/kafka/stop.sh', kafkaScriptEnv).catch((e) => console.error(e));
    if (pgStarted) await script('deploy/postgres/stop.sh', pgEnv).catch((e) => console.error(e));
    rmSync(PG_DIR, { recursive: true, force: true });
    rmSync(`${PG_DIR}-tls`, { recursive: true, force: true });
  }, 120_000);

  it('SIGKILLed ingestors, projector and service, PostgreSQL stopped -m immediate, the broker restarted: every event charged once, balances as computed, replay identical', async () => {
    const started = Date.now();
    const store = { LEDGER_STORE: 'postgres', DATABASE_URL: databaseUrl, LEDGER_SCHEMA: schema };
    const kafkaEnv = {
      KAFKA_BROKERS: BROKERS,
      KAFKA_CLIENT_ID: 'ledger-faults',
      KAFKA_GROUP_ID: groupId,
      KAFKA_TOPIC_RENDERS: topics.renders,
      KAFKA_TOPIC_STREAMING: topics.streaming,
      KAFKA_TOPIC_DEAD_LETTER: topics.deadLetter,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_METRICS_LOG_MS: '0',
      KAFKA_MAX_BYTES_PER_PARTITION: '8192', // small fetches: many transactions to be cut between
    };
    const servicePort = await freePort();
    const http = `http://127.0.0.1:${servicePort}`;
    const auth = { Authorization: `Bearer ${TEST_ADMIN_KEY}`, 'Content-Type': 'application/json' };

    // ---- the processes
    const startService = () =>
      start('service', 'apps/ledger/src/main.ts', {
        ...store,
        KAFKA_BROKERS: BROKERS,
        KAFKA_INGEST: 'off',
        LEDGER_PROJECTOR: 'off',
        LEDGER_PROCESS: 'true',
        LEDGER_PROCESS_LEASE_MS: '3000',
        LEDGER_READ_WAIT_MS: '10000',
        PORT: String(servicePort),
      });
    const ingestorPorts = new Map<Child, number>();
    const startIngestor = async (n: number) => {
      const port = await freePort();
      const c = start(`ingestor ${n}`, 'apps/ingestor/src/main.ts', {
        ...store,
        ...kafkaEnv,
        LEDGER_PROJECTOR: 'off',
        LEDGER_PROCESS: 'false',
        KAFKA_METRICS_PORT: String(port),
      });
      ingestorPorts.set(c, port);
      return c;
    };
    const projectorPorts = new Map<Child, number>();
    const startProjector = async () => {
      const port = await freePort();
      const c = start('projector', 'apps/projector/src/main.ts', {
        ...store,
        LEDGER_PROJECTOR_LEASE_MS: '3000',
        PROJECTOR_PORT: String(port),
      });
      projectorPorts.set(c, port);
      return c;
    };
    // One fault at a time: a process started again has joined before the next fault comes (a start
    // takes seconds on a busy machine; a store stopped while it boots fails its start, as it should).
    const answering = async (c: Child, url: string) =>
      waitFor(
        `${c.name} to answer`,
        async () => {
          if (!alive(c)) throw new Error(`${c.name} exited\n${c.log.slice(-30).join('\n')}`);
          return (await tryHttp(url))?.status === 200;
        },
        90_000,
      );
    const ingestorUp = (c: Child) => answering(c, `http://127.0.0.1:${ingestorPorts.get(c)}/healthz`);
    const projectorUp = (c: Child) => answering(c, `http://127.0.0.1:${projectorPorts.get(c)}/health`);

    const tail = (c: Child) => `${c.name} log:\n${c.log.slice(-30).join('\n')}`;
    const unexpected: string[] = [];
    const watch = (c: Child) => {
      children.push(c);
      void c.exited.then(({ code, signal }) => {
        if (!c.killed) unexpected.push(`${c.name} exited on its own (${code ?? signal})\n${tail(c)}`);
      });
      return c;
    };

    const serviceUp = async (svc: Child) =>
      waitFor(
        'the service to answer',
        async () => {
          if (!alive(svc)) throw new Error(`the service exited\n${tail(svc)}`);
          return (await tryHttp(`${http}/health`)) !== undefined;
        },
        60_000,
      );

    let service = watch(startService());
    await serviceUp(service);
    let projector = watch(await startProjector());
    let nextIngestor = 0;
    const ingestors = [watch(await startIngestor(nextIngestor++)), watch(await startIngestor(nextIngestor++))];
    await Promise.all([projectorUp(projector), ...ingestors.map(ingestorUp)]);

    // ---- redeliveries: each ingestor's duplicate counter, last seen (a killed one's last scrape)
    const duplicatesSeen = new Map<Child, number>();
    const scrape = async () => {
      for (const [c, port] of ingestorPorts) {
        if (!alive(c)) continue;
        const res = await tryHttp(`http://127.0.0.1:${port}/metrics`, { headers: auth });
        if (res?.ok) duplicatesSeen.set(c, metric(await res.text(), 'ledger_kafka_events_duplicate_total'));
      }
    };
    let scraping = true;
    const scraper = (async () => {
      while (scraping) {
        await scrape();
        await sleep(500);
      }
    })();

    // ---- accounts over HTTP, with their balances before
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `acct_f${i}_${uid()}`);
    for (const a of accounts) {
      const opened = await fetch(`${http}/v1/accounts`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ accountId: a, name: `Faults ${a}` }),
      });
      expect(opened.status).toBe(201);
      const plan = await fetch(`${http}/v1/accounts/${a}/plans`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ plan: 'api_scale' }),
      });
      expect(plan.status).toBeLessThan(300);
    }
    const availableOf = async (a: string) => {
      const res = await fetch(`${http}/v1/accounts/${a}/balances`, { headers: auth });
      expect(res.status).toBe(200);
      return micro(((await res.json()) as { wallets: { api: { available: string } } }).wallets.api.available);
    };
    const before = new Map<string, bigint>();
    for (const a of accounts) before.set(a, await availableOf(a));

    // ---- the events and what they cost, computed here: unlimited avatar video, 0.5 credit per started 30 s block
    const random = seededRandom(20260401);
    const events = Array.from({ length: EVENTS }, (_, i) =>
      renderEvent(accounts[i % ACCOUNTS], { durationMs: 1000 + Math.floor(random() * 119_000) }),
    );
    const cost = new Map<string, bigint>(accounts.map((a) => [a, 0n]));
    for (const e of events) cost.set(e.subject, cost.get(e.subject)! + BigInt(Math.ceil(e.data.durationMs / 30_000)) * 500_000n);

    // ---- what the log holds, read directly (a connection per look: the server restarts)
    const sql = async <T>(text: string): Promise<T[] | undefined> => {
      const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.query(text)).rows as T[];
      } catch {
        return undefined;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    const chargedNow = async () =>
      Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.events WHERE type = 'UsageCharged'`))?.[0]?.n ?? -1);

    // ---- produce in slices, a fault after each slice
    let produced = 0;
    let resends = 0;
    const send = async (slice: typeof events) => {
      for (let i = 0; i < slice.length; i += 25) {
        const messages = slice.slice(i, i + 25).map((e) => record(e));
        for (let attempt = 0; ; attempt++) {
          try {
            await producer.send({ topic: topics.renders, acks: -1, messages });
            break;
          } catch (err) {
            if (attempt >= 60) throw err;
            resends += messages.length; // perhaps written already: a resend is a duplicate to the ledger
            await sleep(1000);
          }
        }
      }
      produced += slice.length;
    };

    const schedule: Fault[] = Array.from({ length: ROUNDS }, () => [...FAULTS]).flat();
    const injected: Record<Fault, number> = { ingestor: 0, projector: 0, service: 0, postgres: 0, broker: 0 };
    const story: string[] = [];
    const inject = async (fault: Fault) => {
      const t0 = Date.now();
      switch (fault) {
        case 'ingestor': {
          const victim = ingestors.shift()!;
          await kill9(victim);
          ingestors.push(watch(await startIngestor(nextIngestor++)));
          await ingestorUp(ingestors[ingestors.length - 1]);
          break;
        }
        case 'projector':
          await kill9(projector);
          projector = watch(await startProjector());
          await projectorUp(projector);
          break;
        case 'service':
          await kill9(service);
          service = watch(startService());
          await serviceUp(service);
          break;
        case 'postgres':
          await script('deploy/postgres/stop.sh', { ...pgEnv, LEDGER_PG_STOP_MODE: 'immediate' });
          await sleep(1000); // the processes meet a dead server
          await script('deploy/postgres/start.sh', pgEnv);
          break;
        case 'broker':
          await script('deploy/kafka/stop.sh', { ...kafkaScriptEnv, KAFKA_KEEP_DATA: '1' });
          await script('deploy/kafka/start.sh', { ...kafkaScriptEnv, KAFKA_KEEP_DATA: '1' });
          break;
      }
      injected[fault]++;
      return Date.now() - t0;
    };

    const slice = Math.ceil(EVENTS / (schedule.length + 1));
    for (const fault of schedule) {
      await send(events.slice(produced, produced + slice));
      // some of what was sent is being charged when the fault comes (not all of it: mid-stream)
      const mark = await chargedNow();
      await waitFor('progress before the fault', async () => (await chargedNow()) > mark, 20_000).catch(() => undefined);
      const charged = await chargedNow();
      const ms = await inject(fault);
      story.push(`${fault} at ${charged}/${produced} charged (${ms} ms)`);
    }
    await send(events.slice(produced));
    expect(produced).toBe(EVENTS);

    // ---- everything consumed: the group's lag 0, every event charged
    const usage = [topics.renders, topics.streaming];
    await waitFor(
      'the group to commit everything and every event to be charged',
      async () => {
        if (unexpected.length) throw new Error(unexpected.join('\n\n'));
        const done = await caughtUp(admin, groupId, usage).catch(() => false);
        return done && (await chargedNow()) >= EVENTS;
      },
      120_000,
      async () =>
        `${await chargedNow()} charged; ${await lagReport(admin, groupId, usage).catch((e) => String(e))}\n${ingestors.map(tail).join('\n')}`,
    );
    await scrape();
    scraping = false;
    await scraper;
    const drained = Date.now();

    // ---- exactly once, from the log: N distinct keys, none twice, each event produced
    const rows = (await sql<{ source: string; id: string; n: string }>(
      `SELECT data->'usage'->'ref'->>'source' AS source, data->'usage'->'ref'->>'id' AS id, count(*) AS n
         FROM ${schema}.events WHERE type = 'UsageCharged' GROUP BY 1, 2`,
    ))!;
    expect(rows.filter((r) => Number(r.n) > 1)).toEqual([]);
    expect(rows).toHaveLength(EVENTS);
    const ids = new Set(rows.map((r) => r.id));
    expect(events.filter((e) => !ids.has(e.id)).map((e) => e.id)).toEqual([]);
    const deadLettered = (await admin.fetchTopicOffsets(topics.deadLetter)).reduce((s, p) => s + Number(p.high), 0);
    expect(deadLettered).toBe(0);

    // ---- balances (from history, through the service) and the charge entries (read models, the projector's)
    for (const a of accounts) {
      expect({ account: a, spent: before.get(a)! - (await availableOf(a)) }).toEqual({ account: a, spent: cost.get(a)! });
      const res = await fetch(`${http}/v1/accounts/${a}/entries?kind=charge&limit=10000`, { headers: auth });
      expect(res.status).toBe(200);
      const entries = ((await res.json()) as { entries: { credits: string; event?: { id: string }; cause?: { id: string } }[] }).entries;
      expect(entries).toHaveLength(EVENTS / ACCOUNTS);
      expect(entries.reduce((s, e) => s + micro(e.credits.replace(/^-/, '')), 0n)).toBe(cost.get(a)!);
    }

    // ---- the read models rebuilt from the log are the live ones, once the projector caught up
    let verify: { code: number | null; out: string } = { code: null, out: '' };
    await waitFor(
      'replay --verify to find the read models identical at the head',
      async () => {
        const run = start('replay', 'apps/projector/src/replay.ts', store, ['--verify']);
        const { code } = await run.exited;
        verify = { code, out: run.log.join('\n') };
        if (code !== 0 && code !== 3) throw new Error(`replay --verify exited ${code}:\n${verify.out}`);
        return code === 0;
      },
      60_000,
      () => verify.out,
    );
    expect(verify.code).toBe(0);
    expect(unexpected).toEqual([]);

    const duplicates = [...duplicatesSeen.values()].reduce((s, n) => s + n, 0);
    console.log(
      `fault suite: ${EVENTS} events over ${ACCOUNTS} accounts produced (${resends} resent by the producer after a failed send); ` +
        `faults injected: ${FAULTS.map((f) => `${f} ${injected[f]}`).join(', ')} (${schedule.length} in all); ` +
        `${duplicates} redeliveries answered duplicate (ingestors' counters, last scrape of each of ${ingestorPorts.size}); ` +
        `every event charged once (${rows.length} distinct keys, none twice), balances as computed, replay --verify identical; ` +
        `drained ${Math.round((drained - started) / 1000)} s, total ${Math.round((Date.now() - started) / 1000)} s.\n  ${story.join('\n  ')}`,
    );
  }, 420_000);
});
