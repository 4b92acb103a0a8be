// The deadline projection (SQL, set-based) against the account decider's own nextDeadline, across
// batch sizes, crashes inside its transaction and two copies at once; and how fast it goes.
import { nextDeadline } from '@ledger/domain';
import { EventStore, NewEvent, PgClient, PgliteClient, SqlClient, SqlEventStore, StreamAppend } from '@ledger/event-store';
import { accountStream } from '@ledger/domain';
import { NotificationProjection } from '@ledger/service/notifications/notification-projection';
import { DeadlineProjection } from '@ledger/service/process/deadline-projection';
import { seededRandom } from '../support/seeded-random';
import { appendInterleaved, randomHistory } from './history';
import { DATABASE_URL, describeEachBackend } from './support';

interface Opened {
  store: SqlEventStore;
  db: SqlClient;
  schema: string;
  projection(batch?: number): DeadlineProjection;
}

let pglite: PgliteClient | undefined;
let schemas = 0;
const dropped: string[] = [];

async function open(backend: 'pglite' | 'postgres'): Promise<Opened> {
  const schema = `pm_dl_${process.pid}_${Date.now().toString(36)}_${++schemas}`;
  let db: SqlClient;
  if (backend === 'pglite') db = pglite ??= await PgliteClient.open();
  else db = PgClient.connect(DATABASE_URL!, { max: 8 });
  const store = await SqlEventStore.open(db, { schema, ownsClient: backend === 'postgres' });
  if (backend === 'postgres') dropped.push(schema);
  const projection = (batch = 5000) => {
    return new DeadlineProjection(store, db, schema, { projectionBatch: batch });
  };
  await projection().migrate();
  return { store, db, schema, projection };
}

afterAll(async () => {
  await pglite?.close();
  if (DATABASE_URL && dropped.length) {
    const c = PgClient.connect(DATABASE_URL);
    for (const s of dropped) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await c.close();
  }
});

async function rows(o: Opened): Promise<Map<string, string>> {
  const r = await o.db.query<{ account_id: string; due_at: Date }>(`SELECT account_id, due_at FROM ${o.schema}.process_deadlines`);
  return new Map(r.map((x) => [x.account_id, new Date(x.due_at).toISOString()]));
}

const histories = (n: number, seed: number) => {
  const random = seededRandom(seed);
  return Array.from({ length: n }, (_, i) =>
    randomHistory(`acct_${seed}_${i}`, random, '2026-01-01T00:00:00.000Z', 120 + Math.floor(random() * 120)),
  );
};

const expected = (hs: ReturnType<typeof histories>) =>
  new Map(
    hs.flatMap((h) => {
      const d = nextDeadline(h.state);
      return d ? [[h.accountId, d.at] as const] : [];
    }),
  );

describeEachBackend('deadline projection', (backend) => {
  let o: Opened;
  beforeEach(async () => {
    o = await open(backend.name);
  });
  afterEach(async () => {
    if (backend.name === 'postgres') await o.store.close();
  });

  it.each([7, 5000])('gives every account the next deadline of the account decider (batches of %i events)', async (batch) => {
    const hs = histories(40, 1000 + batch);
    const total = await appendInterleaved(o.store, hs, seededRandom(batch));
    const p = o.projection(batch);
    await p.catchUp();
    expect(p.applied).toBe(total);
    expect(await rows(o)).toEqual(expected(hs));
    expect(await p.position()).toBe(await o.store.headPosition());
  });

  it('keeps up while the log grows, and answers which accounts are due', async () => {
    const hs = histories(20, 42);
    const p = o.projection(50);
    const appending = appendInterleaved(o.store, hs, seededRandom(7));
    while (!(await Promise.race([appending.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 5))]))) await p.step();
    await p.catchUp();
    const want = expected(hs);
    expect(await rows(o)).toEqual(want);
    const cut = '2026-06-01T00:00:00.000Z';
    const due = await p.due(cut, 1000);
    expect(due.map((d) => d.accountId).sort()).toEqual(
      [...want]
        .filter(([, at]) => at <= cut)
        .map(([a]) => a)
        .sort(),
    );
    expect(due.map((d) => d.dueAt)).toEqual([...due.map((d) => d.dueAt)].sort());
    // shards split the accounts between them, none twice, none lost
    const shards = await Promise.all([0, 1, 2].map((index) => p.due(cut, 1000, { index, count: 3 })));
    expect(
      shards
        .flat()
        .map((d) => d.accountId)
        .sort(),
    ).toEqual(due.map((d) => d.accountId).sort());
  });

  it('a crash inside its transaction changes nothing; the batch is applied once on the retry', async () => {
    const hs = histories(15, 7);
    await appendInterleaved(o.store, hs, seededRandom(3));
    const p = o.projection(25);
    let batches = 0;
    p.faults.beforeCommit = () => {
      if (++batches === 3) throw new Error('crash before the checkpoint');
    };
    await p.step();
    await p.step();
    const before = { position: await p.position(), rows: await rows(o) };
    await expect(p.step()).rejects.toThrow('crash before the checkpoint');
    expect(await p.position()).toBe(before.position);
    expect(await rows(o)).toEqual(before.rows);
    // a restarted copy (new object, same tables) carries on
    const again = o.projection(25);
    await again.catchUp();
    expect(await rows(o)).toEqual(expected(hs));
  });

  it('two copies projecting at once apply each batch once', async () => {
    const hs = histories(30, 99);
    const total = await appendInterleaved(o.store, hs, seededRandom(5));
    const [a, b] = [o.projection(40), o.projection(40)];
    await Promise.all([a.catchUp(), b.catchUp()]);
    expect(a.applied + b.applied).toBe(total);
    expect(await rows(o)).toEqual(expected(hs));
  });

  // Speed is measured in bench/, never asserted here: this checks a large batch is applied whole.
  it('projects a large log of many accounts completely, in batches', async () => {
    const accounts = 2000;
    const charges = backend.name === 'pglite' ? 25 : 50;
    const events = await appendSynthetic(o.store, accounts, charges);
    const p = o.projection(5000);
    const t0 = performance.now();
    await p.catchUp();
    const ms = performance.now() - t0;
    const rate = Math.round((events / ms) * 1000);
    process.stderr.write(
      `deadline projection [${backend.name}]: ${events} events of ${accounts} accounts in ${ms.toFixed(0)} ms = ${rate} events/s\n`,
    );
    expect(p.applied).toBe(events);
    expect((await rows(o)).size).toBe(accounts);

    // the notification projection over the same log (it decodes every event and keeps a state per account)
    const n = new NotificationProjection(o.store, o.db, o.schema, { thresholds: [80, 90, 100], projectionBatch: 5000 });
    await n.migrate();
    const t1 = performance.now();
    await n.catchUp();
    const ms1 = performance.now() - t1;
    process.stderr.write(
      `notification projection [${backend.name}]: ${events} events in ${ms1.toFixed(0)} ms = ${Math.round((events / ms1) * 1000)} events/s\n`,
    );
    expect(n.applied).toBe(events);
    expect((await n.list('acct_perf_7', 10)).map((x) => x.kind)).toEqual([]); // 25 or 50 of 660 credits: nothing to tell
  }, 180_000);
});

/** Per account: a period with its grant, then `charges` usage records each drawing on the grant. */
async function appendSynthetic(store: EventStore, accounts: number, charges: number): Promise<number> {
  let total = 0;
  let appends: StreamAppend[] = [];
  let pending = 0;
  const flush = async () => {
    if (appends.length) await store.append(appends);
    appends = [];
    pending = 0;
  };
  for (let a = 0; a < accounts; a++) {
    const accountId = `acct_perf_${a}`;
    const at = new Date(Date.UTC(2026, 0, 1) + a * 60_000).toISOString();
    const events: NewEvent[] = [
      {
        type: 'PeriodStarted',
        data: {
          wallet: 'api',
          periodId: 'api-p1',
          terms: {},
          startsAt: at,
          endsAt: new Date(Date.parse(at) + 31 * 86_400_000).toISOString(),
          reason: 'opened',
          at,
        },
      },
      {
        type: 'CreditsGranted',
        data: {
          wallet: 'api',
          lotId: 'api-l1',
          periodId: 'api-p1',
          credits: '660000000',
          at,
          expiresAt: new Date(Date.parse(at) + 30 * 86_400_000).toISOString(),
        },
      },
    ];
    for (let c = 0; c < charges; c++) {
      events.push({
        type: 'UsageCharged',
        data: {
          wallet: 'api',
          periodId: 'api-p1',
          usage: { ref: { source: 'perf', id: `${a}-${c}` }, kind: 'avatar_video.unlimited', at, durationMs: 30_000, jobId: `j${c}` },
          priced: { kind: 'avatar_video.unlimited', units: 2, unit: 'block', credits: '1000000', catalogVersion: 'v1' },
          draws: [{ lotId: 'api-l1', credits: '1000000' }],
          overage: '0',
          uncovered: '0',
          flags: [],
          at,
        },
      });
    }
    appends.push({ streamId: accountStream(accountId), expectedVersion: 0, events });
    total += events.length;
    pending += events.length;
    if (pending >= 5000) await flush();
  }
  await flush();
  return total;
}
