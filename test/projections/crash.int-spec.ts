// A projector that dies in the middle of a batch leaves the read models exactly as of its last
// checkpoint; the next projector goes on from there and the read models end equal, table by
// table, to a clean rebuild from the log: no event applied twice, none skipped.
import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PgClient, PgliteClient, SqlClient, SqlEventStore } from '@ledger/event-store';
import { SqlLogReader } from '@ledger/service/projections/log-reader';
import { Projector } from '@ledger/service/projections/projector';
import { financeCheckpoint } from '@ledger/service/projections/read-model-schema';
import { compareWithCleanRebuild, DATABASE_URL, differing, eachDatabase, freshSchema, syntheticStore } from './support';

const checkpointOf = (db: SqlClient, schema: string) => financeCheckpoint(db, `${schema}_rm`).position();

eachDatabase('a failure inside the batch transaction', (target) => {
  it.each(['balances', 'entries', 'usage_monthly', 'invoice_lines'])(
    'after writing %s: rolled back, retried, the same as a clean rebuild',
    async (table) => {
      const db = await target.client();
      const schema = freshSchema();
      const store = await syntheticStore(db, schema, 6000);
      const head = await store.headPosition();
      let batches = 0;
      let failed = 0;
      const projector = new Projector({
        db,
        reader: new SqlLogReader(db, schema),
        schema: `${schema}_rm`,
        ledgerSchema: schema,
        batchSize: 700,
        beforeTransaction: () => {
          batches++;
        },
        afterStatement: (t) => {
          // The third batch fails after this table's statement, twice; then it goes through.
          if (batches >= 3 && failed < 2 && t === table) {
            failed++;
            throw new Error(`injected failure after ${t}`);
          }
        },
      });
      await projector.migrate();
      let checkpointAtFailure: bigint | undefined;
      for (;;) {
        try {
          await projector.runUntil(head);
          break;
        } catch (err) {
          expect((err as Error).message).toBe(`injected failure after ${table}`);
          // Nothing of the failed batch is there: the checkpoint is still the second batch's end.
          checkpointAtFailure = await checkpointOf(db, schema);
        }
      }
      expect(failed).toBe(2);
      expect(checkpointAtFailure).toBe(1400n);
      expect(await checkpointOf(db, schema)).toBe(head);
      const c = await compareWithCleanRebuild(db, schema);
      expect(differing(c)).toEqual([]);
      expect(c.identical).toBe(true);
      await projector.stop();
    },
  );
});

// The projector as its own process, SIGKILLed inside its second batch's transaction.
function startChild(kind: string, where: string, schema: string): { child: ChildProcess; midBatch: Promise<void> } {
  const child = spawn(
    process.execPath,
    ['-r', './deploy/register.js', 'test/projections/fixtures/projector-child.ts', kind, where, schema],
    {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const midBatch = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('mid-batch')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the projector process exited (${code}) before its second batch`)));
  });
  return { child, midBatch };
}

const killed = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

async function recoverAndCompare(db: SqlClient, schema: string, head: bigint): Promise<void> {
  // The dead process committed its first batch only; its second died with it.
  expect(await checkpointOf(db, schema)).toBe(500n);
  expect(
    BigInt((await db.query<{ n: bigint }>(`SELECT count(DISTINCT position) AS n FROM ${schema}_rm.entries WHERE position > 500`))[0].n),
  ).toBe(0n);
  // A new projector takes the lease once the dead one's has expired, and goes on from there.
  const next = new Projector({
    db,
    reader: new SqlLogReader(db, schema),
    schema: `${schema}_rm`,
    ledgerSchema: schema,
    holder: 'next',
    batchSize: 800,
    leaseMs: 1000,
  });
  for (let tries = 0; ; tries++) {
    if ((await next.step(head)) !== 'standby') break;
    if (tries > 100) throw new Error("the dead projector's lease never expired");
    await new Promise((r) => setTimeout(r, 100));
  }
  await next.runUntil(head);
  await next.stop();
  expect(await checkpointOf(db, schema)).toBe(head);
  const c = await compareWithCleanRebuild(db, schema);
  expect(differing(c)).toEqual([]);
  expect(c.identical).toBe(true);
}

describe('a projector process SIGKILLed in the middle of a batch (PGlite data directory)', () => {
  it('leaves the last checkpoint; the next projector ends equal to a clean rebuild', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-rm-crash-'));
    const schema = 'ledger';
    try {
      let db = await PgliteClient.open(dir);
      const store = await syntheticStore(db, schema, 3000);
      const head = await store.headPosition();
      await db.close();
      const { child, midBatch } = startChild('pglite', dir, schema);
      await midBatch;
      await killed(child);
      db = await PgliteClient.open(dir); // crash recovery of what the dead process left
      try {
        await recoverAndCompare(db, schema, head);
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

(DATABASE_URL ? describe : describe.skip)(
  `a projector process SIGKILLed in the middle of a batch (PostgreSQL)${DATABASE_URL ? '' : ': skipped, DATABASE_URL not set'}`,
  () => {
    it('leaves the last checkpoint; the next projector ends equal to a clean rebuild', async () => {
      const db = PgClient.connect(DATABASE_URL!);
      const schema = freshSchema();
      try {
        const store: SqlEventStore = await syntheticStore(db, schema, 3000);
        const head = await store.headPosition();
        const { child, midBatch } = startChild('postgres', DATABASE_URL!, schema);
        await midBatch;
        await killed(child);
        await recoverAndCompare(db, schema, head);
      } finally {
        for (const s of [schema, `${schema}_rm`, `${schema}_rm_clean`]) await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
        await db.close();
      }
    });
  },
);
if (!DATABASE_URL)
  process.stderr.write('a projector process SIGKILLed in the middle of a batch (PostgreSQL): skipped, DATABASE_URL not set\n');
