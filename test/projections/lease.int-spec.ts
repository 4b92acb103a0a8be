// Two projectors at once never both apply: the lease (kit/lease.ts, a row of <rm>.process_leases)
// lets one apply, the other waits to take over; a projector whose lease was taken over while it
// was busy finds out in its transaction (the lease's fence) and applies nothing, whether or not
// the new holder has moved the checkpoint yet. Whatever happens, every event is applied exactly
// once (the checkpoint's advance, kit/checkpoint.ts).
import { SqlClient } from '@ledger/event-store';
import { CheckpointMoved } from '@ledger/service/kit/checkpoint';
import { Lease, LeaseLost } from '@ledger/service/kit/lease';
import { SqlLogReader } from '@ledger/service/projections/log-reader';
import { BatchApplied, Projector } from '@ledger/service/projections/projector';
import { financeCheckpoint } from '@ledger/service/projections/read-model-schema';
import { rebuildReadModels, switchReadModels } from '@ledger/service/projections/replay';
import { appendSyntheticLog } from '../../bench/replay/synthetic-log';
import { compareWithCleanRebuild, differing, eachDatabase, freshSchema, syntheticStore, until } from './support';

const errors: unknown[] = [];
afterEach(() => expect(errors.splice(0)).toEqual([]));

const projector = (
  db: SqlClient,
  schema: string,
  holder: string,
  applied: BatchApplied[],
  more: Partial<ConstructorParameters<typeof Projector>[0]> = {},
) =>
  new Projector({
    db,
    reader: new SqlLogReader(db, schema),
    schema: `${schema}_rm`,
    ledgerSchema: schema,
    holder,
    batchSize: 400,
    leaseMs: 2000,
    pollMs: 10,
    standbyMs: 20,
    retryMs: 20,
    onBatch: (b) => applied.push(b),
    onError: (err) => {
      if (!(err instanceof LeaseLost || err instanceof CheckpointMoved)) errors.push(err);
    },
    ...more,
  });

/** The applied ranges, in commit order, tile (0, head] with no overlap and no gap. */
function expectExactlyOnce(applied: BatchApplied[], head: bigint): void {
  let at = 0n;
  for (const b of applied) {
    expect(b.from).toBe(at);
    expect(b.to).toBeGreaterThan(b.from);
    at = b.to;
  }
  expect(at).toBe(head);
}

eachDatabase('two projectors at once', (target) => {
  it('one applies, the other stands by; every event once; the standby takes over when the first stops', async () => {
    const schema = freshSchema();
    const dbA = await target.client();
    const dbB = await target.client(); // on PostgreSQL another pool: another "process"
    const store = await syntheticStore(dbA, schema, 4000);
    const applied: BatchApplied[] = [];
    const a = projector(dbA, schema, 'A', applied);
    const b = projector(dbB, schema, 'B', applied);
    await a.migrate();
    await b.migrate();
    a.start();
    b.start();
    try {
      // Writes go on while both run.
      await appendSyntheticLog(store, {
        events: 3000,
        seed: 99,
        accounts: 10,
        accountPrefix: 'more_',
        start: '2026-06-01T00:00:00.000Z',
        days: 20,
        batch: 300,
      });
      const first = await store.headPosition();
      await until(async () => (applied.at(-1)?.to ?? 0n) >= first, 30_000, 'the read models to reach the head');
      expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
      const leader = a.isLeader ? a : b;
      const standby = a.isLeader ? b : a;
      expect(new Set(applied.map((x) => x.holder))).toEqual(new Set([leader.holder]));

      // The leader stops (gives the lease up); the standby takes over and goes on from its checkpoint.
      await leader.stop();
      await appendSyntheticLog(store, {
        events: 1500,
        seed: 5,
        accounts: 6,
        accountPrefix: 'later_',
        start: '2026-08-01T00:00:00.000Z',
        days: 10,
        batch: 500,
      });
      const second = await store.headPosition();
      await until(async () => (applied.at(-1)?.to ?? 0n) >= second, 30_000, 'the standby to take over');
      expect(standby.isLeader).toBe(true);
      expect(applied.at(-1)!.holder).toBe(standby.holder);
    } finally {
      await a.stop();
      await b.stop();
    }
    const head = await store.headPosition();
    expectExactlyOnce(applied, head);
    const c = await compareWithCleanRebuild(dbA, schema);
    expect(differing(c)).toEqual([]);
  });

  it('a projector whose lease expired while it was busy applies nothing: the new holder did', async () => {
    const schema = freshSchema();
    const dbA = await target.client();
    const dbB = await target.client();
    const store = await syntheticStore(dbA, schema, 2500);
    const head = await store.headPosition();
    const applied: BatchApplied[] = [];
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    let pausedAt: bigint | undefined;
    // A reads its second batch, then stalls (a GC pause, a stuck disk...) for longer than its lease.
    const a = projector(dbA, schema, 'A', applied, {
      leaseMs: 300,
      beforeTransaction: async (batch) => {
        if (pausedAt === undefined && applied.length === 1) {
          pausedAt = batch.first;
          await paused;
        }
      },
    });
    await a.migrate();
    expect(await a.step(head)).toBe('applied');
    const stalled = a.step(head).then(
      () => undefined,
      (err: unknown) => err,
    );
    await until(async () => pausedAt !== undefined, 10_000, 'A to stall');
    // B cannot take the lease while A's is alive...
    const b = projector(dbB, schema, 'B', applied, { leaseMs: 2000 });
    expect(await b.step(head)).toBe('standby');
    // ... and takes it once it has expired, then applies what A had read.
    await new Promise((r) => setTimeout(r, 400));
    await until(async () => (await b.step(head)) === 'applied', 10_000, 'B to take the lease');
    release();
    const err = await stalled;
    expect(err).toBeInstanceOf(LeaseLost); // A's transaction found someone else's lease: rolled back
    expect(a.isLeader).toBe(false);
    await b.runUntil(head);
    expect(applied.filter((x) => x.holder === 'A')).toHaveLength(1);
    expectExactlyOnce(applied, head);
    // A, retrying, stands by.
    expect(await a.step(head)).toBe('standby');
    await b.stop();
    await a.stop();
    const c = await compareWithCleanRebuild(dbA, schema);
    expect(differing(c)).toEqual([]);
  });

  it('a projector whose lease was taken over applies nothing, even while the checkpoint is still where it read from', async () => {
    const schema = freshSchema();
    const dbA = await target.client();
    const dbB = await target.client();
    const store = await syntheticStore(dbA, schema, 2000);
    const head = await store.headPosition();
    const applied: BatchApplied[] = [];
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    let stalled = false;
    const a = projector(dbA, schema, 'A', applied, {
      leaseMs: 300,
      beforeTransaction: async () => {
        if (!stalled && applied.length === 1) {
          stalled = true;
          await paused;
        }
      },
    });
    await a.migrate();
    expect(await a.step(head)).toBe('applied');
    const afterFirst = applied[0].to;
    const pending = a.step(head).then(
      () => undefined,
      (err: unknown) => err,
    );
    await until(async () => stalled, 10_000, 'A to stall');
    // B takes the expired lease but applies nothing yet: the checkpoint stays where A read from.
    await new Promise((r) => setTimeout(r, 400));
    const lease = new Lease(dbB, `${schema}_rm`, 'finance', 'B', 5000);
    await until(() => lease.acquire(), 10_000, 'B to take the lease');
    release();
    expect(await pending).toBeInstanceOf(LeaseLost); // refused by the lease, not by the checkpoint
    expect(await financeCheckpoint(dbA, `${schema}_rm`).position()).toBe(afterFirst);
    expect(applied).toHaveLength(1);
    expect(await a.step(head)).toBe('standby');
    // B's projector, under the same holder name, goes on from A's first batch.
    const b = projector(dbB, schema, 'B', applied);
    await b.runUntil(head);
    expectExactlyOnce(applied, head);
    await b.stop();
    await a.stop();
    const c = await compareWithCleanRebuild(dbA, schema);
    expect(differing(c)).toEqual([]);
  });
});

eachDatabase('read models made when the lease was two columns of the checkpoint row', (target) => {
  it('keep their checkpoint: the columns go, the projector goes on from it', async () => {
    const schema = freshSchema();
    const rm = `${schema}_rm`;
    const db = await target.client();
    const store = await syntheticStore(db, schema, 1500);
    const head = await store.headPosition();
    const applied: BatchApplied[] = [];
    const first = projector(db, schema, 'first', applied);
    await first.migrate();
    expect(await first.step(head)).toBe('applied');
    await first.stop();
    // What the older code left: the lease in the checkpoint row (held, for an hour), no lease table.
    await db.query(`DROP TABLE ${rm}.process_leases`);
    await db.query(`ALTER TABLE ${rm}.projector DROP COLUMN updated_at, ADD COLUMN holder text, ADD COLUMN lease_until timestamptz`);
    await db.query(`UPDATE ${rm}.projector SET holder = 'older', lease_until = now() + interval '1 hour'`);
    const next = projector(db, schema, 'next', applied);
    await next.migrate();
    const columns = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'projector' ORDER BY ordinal_position`,
      [rm],
    );
    expect(columns.map((c) => c.column_name)).toEqual(['name', 'position', 'version', 'updated_at']);
    expect(await financeCheckpoint(db, rm).position()).toBe(applied[0].to);
    await next.runUntil(head);
    await next.stop();
    expectExactlyOnce(applied, head);
    const c = await compareWithCleanRebuild(db, schema);
    expect(differing(c)).toEqual([]);
  });
});

eachDatabase("a replay's --switch under a running projector", (target) => {
  it('an idle projector finds the rebuilt checkpoint (behind its own) within a third of its lease, takes the free lease and catches up', async () => {
    const schema = freshSchema();
    const rm = `${schema}_rm`;
    const db = await target.client();
    const store = await syntheticStore(db, schema, 2000);
    const head = await store.headPosition();
    const applied: BatchApplied[] = [];
    const live = projector(db, schema, 'live', applied, { leaseMs: 900 });
    await live.migrate();
    live.start();
    try {
      await until(async () => live.position === head, 30_000, 'the live projector to reach the head');
      // Rebuilt up to an earlier position (as if events came after the rebuild began), then put live.
      const rebuilt = await rebuildReadModels({
        db,
        reader: new SqlLogReader(db, schema),
        schema: `${schema}_rm_replay`,
        ledgerSchema: schema,
        upTo: 1000n,
        batchSize: 300,
      });
      applied.splice(0);
      await switchReadModels(db, rm, `${schema}_rm_replay`);
      expect(await financeCheckpoint(db, rm).position()).toBe(rebuilt.position);
      // No new event: the projector, idle, finds out at its next renewal and applies the rest.
      await until(async () => (await financeCheckpoint(db, rm).position()) === head, 10_000, 'the projector to catch up after the switch');
      expect(applied[0].from).toBe(rebuilt.position);
      expectExactlyOnce([{ ...applied[0], from: 0n, to: rebuilt.position }, ...applied], head);
      expect(live.isLeader).toBe(true);
    } finally {
      await live.stop();
    }
    const c = await compareWithCleanRebuild(db, schema);
    expect(differing(c)).toEqual([]);
  });
});
