// The standalone ingestor (`node -r ./deploy/register.js apps/ingestor/src/main.ts`) killed with
// SIGKILL three times in the middle of 3000 events, then started again: every event is charged exactly once
// and the balances equal the totals computed here (each event an unlimited 10 s render = 0.5
// credit). Then SIGTERM: it finishes, commits, leaves the group and exits 0.
import { ChildProcess, spawn } from 'child_process';
import { Admin, Producer } from 'kafkajs';
import { ADMIN_ENV, bearer, TEST_ADMIN_KEY } from '../support/access';
import {
  available,
  connectBroker,
  caughtUp,
  charges,
  configOf,
  createTopics,
  credits,
  deleteTopics,
  describeKafka,
  freePort,
  kafkaEnv,
  lagReport,
  metric,
  openAccounts,
  produce,
  record,
  renderEvent,
  repeated,
  REPO_ROOT,
  startContext,
  Stores,
  Topics,
  uid,
  waitFor,
} from './support';

const EVENTS = 3000;
const ACCOUNTS = 5;

interface Ingestor {
  child: ChildProcess;
  port: number;
  log: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  metrics(): Promise<string | undefined>;
}

function spawnIngestor(env: Record<string, string>, port: number): Ingestor {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(KAFKA_|LEDGER_|DATABASE_URL$|NODE_OPTIONS$|PORT$)/.test(k)),
  );
  const child = spawn(process.execPath, ['-r', './deploy/register.js', 'apps/ingestor/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...base, ...ADMIN_ENV, ...env, KAFKA_METRICS_PORT: String(port), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(...chunk.toString().split('\n').filter(Boolean));
    if (log.length > 300) log.splice(0, log.length - 300);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    port,
    log,
    exited,
    metrics: async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: bearer(TEST_ADMIN_KEY) });
        return res.ok ? await res.text() : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

describeKafka('Kafka ingest: the standalone ingestor killed with SIGKILL mid-stream', () => {
  const stores = new Stores('sigkill');
  let admin: Admin;
  let producer: Producer;
  let topics: Topics;
  const children: Ingestor[] = [];

  beforeAll(async () => {
    ({ admin, producer } = await connectBroker());
    topics = await createTopics(admin, 'sigkill', 6);
  });

  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await producer?.disconnect();
    if (topics) await deleteTopics(admin, topics);
    await admin?.disconnect();
    await stores.cleanup();
  });

  it('(c) kill -9 while charging (three times), start again: every event charged exactly once, balances as computed', async () => {
    const groupId = `ledger-test-sigkill-${uid()}`;
    const store = stores.fresh();
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `acct_k${i}_${uid()}`);

    // accounts first, through the ledger itself (the store is then closed: PGlite is one process's)
    const setup = await startContext(configOf(store));
    await openAccounts(setup, accounts);
    const before = await Promise.all(accounts.map((a) => available(setup, a)));
    await setup.close();

    const events = Array.from({ length: EVENTS }, (_, i) => renderEvent(accounts[i % ACCOUNTS]));
    await produce(
      producer,
      topics.renders,
      events.map((e) => record(e)),
      30,
    ); // small producer batches: small fetches

    // small fetches (about 10 records a batch): many ledger transactions to be killed between
    const env = { ...store, ...kafkaEnv(topics, groupId, { KAFKA_MAX_BYTES_PER_PARTITION: '4096', KAFKA_METRICS_LOG_MS: '2000' }) };
    const fail = (what: string, i: Ingestor) => `${what}; ingestor log:\n${i.log.slice(-40).join('\n')}`;
    const charged = async () => {
      // judged by reading the store (the ingestor is dead: PGlite can be opened here)
      const c = await startContext(configOf(store));
      try {
        return (await Promise.all(accounts.map((a) => charges(c, a)))).flat().length;
      } finally {
        await c.close();
      }
    };

    const usage = [topics.renders, topics.streaming];
    const committed = async () =>
      (await admin.fetchOffsets({ groupId, topics: usage }))
        .flatMap((t) => t.partitions)
        .reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);

    // three kills at about 10 %, 40 % and 70 %: each time some but not all are charged. What
    // was charged but not committed at a kill comes again to the next run: as duplicates.
    let chargedSoFar = 0;
    let uncommitted = 0;
    const story: string[] = [];
    for (const target of [300, 1200, 2100]) {
      const run = spawnIngestor(env, await freePort());
      children.push(run);
      let acceptedByRun = 0;
      let duplicatesByRun = 0;
      await waitFor(
        `the ingestor to charge ${target} events`,
        async () => {
          if (run.child.exitCode !== null) throw new Error(fail(`the ingestor exited with ${run.child.exitCode}`, run));
          const text = await run.metrics();
          if (!text) return false;
          acceptedByRun = metric(text, 'ledger_kafka_events_accepted_total');
          duplicatesByRun = metric(text, 'ledger_kafka_events_duplicate_total');
          return chargedSoFar + acceptedByRun >= target;
        },
        60_000,
        () => fail('no progress', run),
      );
      run.child.kill('SIGKILL');
      expect(await run.exited).toEqual({ code: null, signal: 'SIGKILL' });
      // the redelivered head of each partition comes first, long before `target` is reached
      expect(duplicatesByRun).toBe(uncommitted);
      const now = await charged();
      const offsets = await committed();
      story.push(`killed at ${now} charged, ${offsets} committed (this run: ${acceptedByRun}+ accepted, ${duplicatesByRun} duplicates)`);
      expect(now).toBeGreaterThanOrEqual(chargedSoFar + acceptedByRun);
      expect(now).toBeGreaterThanOrEqual(offsets); // never committed ahead of the ledger
      expect(now).toBeLessThan(EVENTS);
      chargedSoFar = now;
      uncommitted = now - offsets;
    }

    const last = spawnIngestor(env, await freePort());
    children.push(last);
    await waitFor(
      'the last ingestor to commit everything',
      async () => {
        if (last.child.exitCode !== null) throw new Error(fail(`the ingestor exited with ${last.child.exitCode}`, last));
        return caughtUp(admin, groupId, usage);
      },
      90_000,
      async () => fail(await lagReport(admin, groupId, usage), last),
    );
    const text = (await last.metrics())!;
    const accepted = metric(text, 'ledger_kafka_events_accepted_total');
    const redelivered = metric(text, 'ledger_kafka_events_duplicate_total');
    console.log(
      `${EVENTS} events, SIGKILL three times: ${story.join('; ')}. ` +
        `The last run: ${accepted} accepted, ${redelivered} duplicates (applied before the last kill, not committed)`,
    );

    last.child.kill('SIGTERM');
    const timer = setTimeout(() => last.child.kill('SIGKILL'), 20_000); // not stopping is a failure, not a hang
    expect(await last.exited).toEqual({ code: 0, signal: null });
    clearTimeout(timer);
    expect(last.log.join('\n')).toMatch(/stopped: the last batch was committed and the group left/);

    // the ledger's own answer: the last run accepted exactly what had not been written before,
    // and answered duplicate for what had been written but not committed
    expect(accepted).toBe(EVENTS - chargedSoFar);
    expect(redelivered).toBe(uncommitted);
    expect(metric(text, 'ledger_kafka_events_dead_lettered_total')).toBe(0);
    const ctx = await startContext(configOf(store));
    try {
      for (const [i, a] of accounts.entries()) {
        const mine = await charges(ctx, a);
        expect(mine).toHaveLength(EVENTS / ACCOUNTS);
        expect(repeated(mine)).toEqual([]);
        // 600 events x 0.5 credit, computed independently of the ledger's pricing
        expect(before[i] - (await available(ctx, a))).toBe(credits(String((EVENTS / ACCOUNTS) * 0.5)));
      }
      const ids = new Set((await Promise.all(accounts.map((a) => charges(ctx, a)))).flat().map((c) => c.id));
      expect(events.every((e) => ids.has(e.id))).toBe(true);
    } finally {
      await ctx.close();
    }
  }, 150_000);
});
