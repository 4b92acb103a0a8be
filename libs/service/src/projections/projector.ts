// The finance projector: reads the global log from its checkpoint and applies each batch to the
// read models in ONE transaction with the move of the checkpoint, so a crash at any point leaves
// the read models exactly as of a checkpoint (no event applied twice, none skipped).
//
// Its checkpoint and lease are the kit's, as for the process managers' projections: the row
// `finance` of `<schema>.projector` (kit/checkpoint.ts) and the lease `finance` in
// `<schema>.process_leases` (kit/lease.ts), both in the read models' own schema, so a replay's
// --switch swaps them with the tables. The batch transaction begins with two statements: the
// lease's fence (renewed if still ours, its row locked until the commit: a rival waits, then sees
// it alive; a projector whose lease was taken over commits nothing) and the checkpoint's advance
// from where the batch was read (a projector that finds it moved, by another copy or by a
// --switch, commits nothing and reads it again). The lease lets one projector apply at a time; the
// checkpoint alone keeps every event applied exactly once.
//
// For speed: the next batch is read, folded and prepared while one is written (prefetch), a
// rebuild parses and folds pages on a worker thread (fold-thread.ts), the usage watermark lets a
// batch's statements be prepared before the previous batch is written, and waitFor() hears of
// each batch at once (read-your-writes).
import { randomUUID } from 'crypto';
import { GlobalPosition, RecordedEvent, SqlClient } from '@ledger/event-store';
import { Checkpoint, CheckpointMoved } from '../kit/checkpoint';
import { Lease, LeaseLost } from '../kit/lease';
import { AfterStatement, PreparedBatch, prepareFinanceBatch, UsageWatermark, writePreparedBatch } from './batch-writer';
import { FinanceBatch } from './finance-batch';
import { FoldThread } from './fold-thread';
import { LogReader, PagedLogReader, readsPages } from './log-reader';
import { arrayLiteral, integerArrayLiteral } from './sql-arrays';
import { FINANCE_PROJECTOR, financeCheckpoint, indexStatements, READ_MODEL_VERSION, readModelStatements } from './read-model-schema';

export interface ProjectorOptions {
  db: SqlClient;
  reader: LogReader;
  /** Schema of the read models (`<ledger schema>_rm`, or a fresh one for a rebuild), with the checkpoint and the lease. */
  schema: string;
  /** The store's schema in the same database (`ledger`): the entries' provenance view joins its events. */
  ledgerSchema: string;
  /** Checkpoint row and lease name (default `finance`). */
  name?: string;
  /** This projector's identity in the lease (default: a random one). */
  holder?: string;
  /** Most events per batch, i.e. per transaction (default 10,000). */
  batchSize?: number;
  /** Most events per read of the log (default 20,000, at most batchSize): a batch is made of one or more reads. */
  pageSize?: number;
  /** Lease lifetime (default 10 s); renewed every third of it, and by every batch. */
  leaseMs?: number;
  /** Do not log changes of the lease's holder (rebuilds). */
  quiet?: boolean;
  /** Poll interval once caught up (default 50 ms); a standby tries to take the lease every `standbyMs` (default 1 s). */
  pollMs?: number;
  /** Pause after a batch smaller than batchSize, so that events gather into the next (default 0); waitFor cuts it short. */
  gatherMs?: number;
  standbyMs?: number;
  /** Wait after a failed batch before retrying (default 1 s). */
  retryMs?: number;
  /**
   * Read the next batch while writing one (default: on, except on PGlite, which runs one
   * statement at a time anyway).
   */
  prefetch?: boolean;
  /** runUntil() folds pages on a worker thread (fold-worker.ts): for rebuilds. Needs the SQL reader. */
  foldThread?: boolean;
  /** Test hooks: after each statement of the batch transaction, and before it starts (not with foldThread). */
  afterStatement?: AfterStatement;
  beforeTransaction?(batch: FinanceBatch): Promise<void> | void;
  onBatch?(info: BatchApplied): void;
  onError?(err: unknown): void;
}

export interface BatchApplied {
  holder: string;
  from: GlobalPosition;
  to: GlobalPosition;
  events: number;
  ms: number;
}

interface Waiter {
  target: GlobalPosition;
  resolve(reached: boolean): void;
  timer: NodeJS.Timeout;
}

/** `partial`: a batch smaller than the batch size was applied (caught up: the next may wait for events to gather). */
export type StepResult = 'applied' | 'partial' | 'idle' | 'standby';

/**
 * A batch ready to write: the events after `from` up to `last`. `batch` is there when it was
 * folded on this thread (not by a FoldThread).
 */
interface Ready {
  from: GlobalPosition;
  events: number;
  last: GlobalPosition;
  batch?: FinanceBatch;
  prepared: PreparedBatch;
}

const SILENT = { log: () => undefined, warn: () => undefined };

export class Projector {
  readonly holder: string;
  readonly name: string;
  /** The read models' committed checkpoint (whoever runs the projector). */
  readonly checkpoint: Checkpoint;
  private readonly lease: Lease;
  private readonly batchSize: number;
  private readonly pageSize: number;
  /** Where the next batch starts: the checkpoint as this projector last applied or read it. */
  private at: GlobalPosition = 0n;
  private watermark: UsageWatermark = { day: null, month: null };
  /** `at` and `watermark` were read from the database since the lease was taken (and no batch was refused since). */
  private synced = false;
  /**
   * The next batch, read, folded and prepared (statements and parameters) while the previous one
   * is written: a PostgreSQL server writes while this process gets the next one ready.
   */
  private prefetched?: { after: GlobalPosition; upTo?: GlobalPosition; ready: Promise<Ready | undefined> };
  private stopped = true;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly o: ProjectorOptions) {
    this.holder = o.holder ?? `projector-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.name = o.name ?? FINANCE_PROJECTOR;
    this.batchSize = o.batchSize ?? 10_000;
    this.pageSize = Math.min(o.pageSize ?? 20_000, this.batchSize);
    this.checkpoint = financeCheckpoint(o.db, o.schema, this.name);
    this.lease = new Lease(o.db, o.schema, this.name, this.holder, o.leaseMs ?? 10_000, o.quiet ? SILENT : undefined);
  }

  /** Last checkpoint this projector applied or saw. */
  get position(): GlobalPosition {
    return this.at;
  }

  /** Holds the lease now (on this process's clock, with the lease's safety margin). */
  get isLeader(): boolean {
    return this.lease.held;
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** Creates the schema, tables and checkpoint row when missing; refuses read models of another version. */
  async migrate(): Promise<void> {
    await migrateReadModels(this.o.db, this.o.schema, this.o.ledgerSchema, this.name, { copyLog: !this.o.reader.inDatabase });
  }

  /** Runs the loop in the background until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Stops the loop and gives the lease up, so another projector need not wait for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    await this.lease.release();
    this.synced = false;
    for (const w of this.waiters) this.settle(w, this.at >= w.target);
  }

  /** Resolves true once the checkpoint reaches `target`, false after `timeoutMs`. */
  waitFor(target: GlobalPosition, timeoutMs: number): Promise<boolean> {
    if (this.at >= target) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w: Waiter = { target, resolve, timer: setTimeout(() => this.settle(w, false), timeoutMs) };
      this.waiters.add(w);
      this.wake?.(); // read now rather than after the poll interval
    });
  }

  /**
   * Applies batches until the checkpoint reaches `target` (or the head when not given). For
   * rebuilds and tests. With `foldThread` (and the SQL reader) pages are parsed and folded on a
   * worker thread while this one reads the next pages and writes.
   */
  async runUntil(target?: GlobalPosition): Promise<GlobalPosition> {
    const goal = target ?? (await this.o.reader.head());
    if (this.o.foldThread && readsPages(this.o.reader)) {
      if (!(await this.lead())) throw new Error(`projector ${this.holder} could not take the lease ${this.name} of ${this.o.schema}`);
      await this.runOnFoldThread(this.o.reader, goal);
      return this.at;
    }
    while (this.at < goal) {
      const r = await this.step(goal);
      if (r === 'standby') throw new Error(`projector ${this.holder} could not take the lease ${this.name} of ${this.o.schema}`);
      if (r === 'idle') break;
    }
    return this.at;
  }

  /** One round: takes or renews the lease, then applies one batch if there is one. */
  async step(upTo?: GlobalPosition): Promise<StepResult> {
    if (!(await this.lead())) return 'standby';
    const ready = await this.next(this.at, upTo);
    if (!ready) return 'idle';
    const from = this.at;
    await this.apply(ready, upTo);
    return this.at - from >= BigInt(this.batchSize) ? 'applied' : 'partial';
  }

  /**
   * Takes the lease, or renews it when due (every third of its lifetime). Once it is taken, and at
   * each renewal if the committed checkpoint is not where this projector left it (a replay's
   * --switch put another one live), reads the checkpoint and the watermark from the database:
   * whoever held the lease before may have applied batches meanwhile. False: another projector
   * holds it.
   */
  private async lead(): Promise<boolean> {
    const had = this.lease.held;
    if (had && this.synced && !this.lease.renewDue) return true;
    await this.lease.acquire();
    if (!this.lease.held) {
      this.synced = false;
      return false;
    }
    if (!had || !this.synced || (await this.checkpoint.position()) !== this.at) await this.sync();
    return true;
  }

  private async sync(): Promise<void> {
    this.prefetched = undefined;
    this.at = await this.checkpoint.position();
    const [usage] = await this.o.db.query<{ day: string | null; month: string | null }>(
      `SELECT (SELECT max(day)::text FROM ${this.o.schema}.usage_daily) AS day, (SELECT max(month)::text FROM ${this.o.schema}.usage_monthly) AS month`,
    );
    this.watermark = { day: usage.day, month: usage.month };
    this.synced = true;
    for (const w of this.waiters) if (this.at >= w.target) this.settle(w, true);
  }

  /**
   * Reads up to batchSize events after `after` (one or more reads) and folds them into a batch;
   * with a log outside this database, also the account events to copy (see LogReader.inDatabase).
   */
  private async collect(
    after: GlobalPosition,
    upTo?: GlobalPosition,
  ): Promise<{ batch: FinanceBatch; copied: RecordedEvent[] } | undefined> {
    const batch = new FinanceBatch();
    const copied: RecordedEvent[] = [];
    const copy = !this.o.reader.inDatabase;
    let from = after;
    while (batch.events < this.batchSize) {
      const want = Math.min(this.pageSize, this.batchSize - batch.events);
      const page = await this.o.reader.read(from, want, upTo);
      for (const e of page) {
        batch.add(e);
        if (copy && e.recorded && e.streamId.startsWith('account-')) copied.push(e.recorded);
      }
      if (page.length > 0) from = page[page.length - 1].position;
      if (page.length < want) break;
    }
    return batch.events > 0 ? { batch, copied } : undefined;
  }

  /** The batch after `after`, prepared against `watermark` (what the tables will hold by then). */
  private async ready(after: GlobalPosition, upTo: GlobalPosition | undefined, watermark: UsageWatermark): Promise<Ready | undefined> {
    const collected = await this.collect(after, upTo);
    if (!collected) return undefined;
    const { batch, copied } = collected;
    const prepared = prepareFinanceBatch(this.o.schema, batch, watermark);
    if (copied.length) prepared.statements.unshift(logCopyStatement(this.o.schema, copied));
    return { from: after, batch, events: batch.events, last: batch.last!, prepared };
  }

  private next(after: GlobalPosition, upTo?: GlobalPosition): Promise<Ready | undefined> {
    const p = this.prefetched;
    this.prefetched = undefined;
    if (p && p.after === after && p.upTo === upTo) return p.ready;
    return this.ready(after, upTo, this.watermark);
  }

  /** Writes one batch in one transaction: the lease's fence, the checkpoint's advance, the batch's statements. */
  private async apply({ from, batch, prepared, events, last: to }: Ready, upTo?: GlobalPosition): Promise<void> {
    const started = Date.now();
    if (batch) await this.o.beforeTransaction?.(batch);
    try {
      const writing = this.o.db.transaction(async (tx) => {
        if (!(await this.lease.fence(tx))) throw new LeaseLost(this.name, this.holder);
        if (!(await this.checkpoint.advance(tx, from, to))) throw new CheckpointMoved(this.name, from);
        await writePreparedBatch(tx, prepared, this.o.afterStatement);
      });
      if (batch && events >= this.batchSize && (this.o.prefetch ?? this.o.db.concurrent)) {
        // Likely more to come: get the next batch ready while this one is written (if this one
        // fails, the next is dropped: it was prepared against this one's watermark).
        const next = this.ready(to, upTo, prepared.watermark);
        next.catch(() => undefined); // reported when (and if) it is used
        this.prefetched = { after: to, upTo, ready: next };
      }
      await writing;
    } catch (err) {
      this.prefetched = undefined;
      // Refused: read the checkpoint (and watermark) again before the next batch.
      if (err instanceof LeaseLost || err instanceof CheckpointMoved) this.synced = false;
      throw err;
    }
    this.watermark = prepared.watermark;
    this.at = to;
    this.o.onBatch?.({ holder: this.holder, from, to, events, ms: Date.now() - started });
    for (const w of this.waiters) if (this.at >= w.target) this.settle(w, true);
  }

  /**
   * The rebuild's pipeline: this thread reads the pages of batch k+1 (handing each to the fold
   * thread) while the fold thread seals batch k, then writes batch k while the fold thread folds
   * the pages of k+1. The database (on this thread with PGlite) is never left waiting on JavaScript.
   */
  private async runOnFoldThread(reader: PagedLogReader, goal: GlobalPosition): Promise<void> {
    const fold = new FoldThread(this.o.schema);
    try {
      let readFrom = this.at;
      const fill = async (): Promise<number> => {
        let n = 0;
        while (n < this.batchSize && readFrom < goal) {
          const page = await reader.readPage(readFrom, Math.min(this.pageSize, this.batchSize - n), goal);
          if (!page) break;
          if (!page.contiguous) throw new Error(`positions missing after ${page.after} below the head ${goal}: not a SQL store's log`);
          fold.post(page);
          n += page.count;
          readFrom = BigInt(page.last);
        }
        return n;
      };
      let posted = await fill();
      let from = this.at;
      let watermark = this.watermark;
      while (posted > 0) {
        const sealing = fold.seal(watermark);
        const next = await fill();
        const sealed = await sealing;
        if (this.lease.renewDue) await this.lease.acquire(); // a long rebuild keeps counting as the holder
        await this.apply({ from, events: sealed.events, last: BigInt(sealed.last), prepared: sealed.prepared });
        from = BigInt(sealed.last);
        watermark = sealed.prepared.watermark;
        posted = next;
      }
    } finally {
      await fold.close();
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let pause = 0;
      try {
        const r = await this.step();
        pause =
          r === 'applied'
            ? 0
            : r === 'partial'
              ? (this.o.gatherMs ?? 0)
              : r === 'idle'
                ? (this.o.pollMs ?? 50)
                : (this.o.standbyMs ?? 1000);
      } catch (err) {
        this.o.onError?.(err);
        // A refused batch is looked at again at once: after a --switch the checkpoint is the
        // rebuilt one and the lease is free to take.
        pause = err instanceof LeaseLost || err instanceof CheckpointMoved ? 0 : (this.o.retryMs ?? 1000);
      }
      if (pause > 0 && !this.stopped) await this.sleep(pause);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private settle(w: Waiter, reached: boolean): void {
    if (!this.waiters.delete(w)) return;
    clearTimeout(w.timer);
    w.resolve(reached);
  }
}

/**
 * Creates the read model schema when missing (safe from several processes at once), and brings
 * the checkpoint table of read models made before the kit's lease forward: it carried the lease
 * in two columns (holder, lease_until), which go (so a projector of that older code still
 * running can no longer commit), while the checkpoint row stays as it is, so the read models go
 * on from it without a rebuild. The tables themselves did not change: READ_MODEL_VERSION stays.
 */
export async function migrateReadModels(
  db: SqlClient,
  schema: string,
  ledgerSchema: string,
  name = FINANCE_PROJECTOR,
  options: { deferIndexes?: boolean; copyLog?: boolean } = {},
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${0x4c454447}, hashtext($1))`, [`migrate:${schema}`]);
    for (const statement of readModelStatements(schema, ledgerSchema, options)) await tx.query(statement);
    const legacy = await tx.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'projector' AND column_name = 'holder'`,
      [schema],
    );
    if (legacy.length > 0) {
      await tx.query(`ALTER TABLE ${schema}.projector DROP COLUMN holder, DROP COLUMN lease_until,
        ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now()`);
    }
    await tx.query(`INSERT INTO ${schema}.projector (name, position, version) VALUES ($1, 0, $2) ON CONFLICT (name) DO NOTHING`, [
      name,
      READ_MODEL_VERSION,
    ]);
    const [row] = await tx.query<{ version: number }>(`SELECT version FROM ${schema}.projector WHERE name = $1`, [name]);
    if (row.version !== READ_MODEL_VERSION) {
      throw new Error(
        `read models in ${schema} are version ${row.version}, this code writes version ${READ_MODEL_VERSION}: ` +
          'rebuild them with `npm run replay -- --switch`',
      );
    }
  });
}

/** Creates the keys and indexes a rebuild left out. */
export async function createReadModelIndexes(db: SqlClient, schema: string): Promise<void> {
  for (const statement of indexStatements(schema, { keys: true })) await db.query(statement);
}

/** The statement that keeps the copy of the log's account events (a log outside this database). */
function logCopyStatement(s: string, events: RecordedEvent[]): PreparedBatch['statements'][number] {
  return {
    table: 'log_events',
    sql: `INSERT INTO ${s}.log_events (global_position, stream_id, stream_version, type, data, metadata, recorded_at)
      SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[])
      ON CONFLICT (global_position) DO NOTHING`,
    params: [
      arrayLiteral(events.map((e) => e.globalPosition.toString())),
      arrayLiteral(events.map((e) => e.streamId)),
      integerArrayLiteral(events.map((e) => e.streamVersion)),
      arrayLiteral(events.map((e) => e.type)),
      arrayLiteral(events.map((e) => JSON.stringify(e.data))),
      arrayLiteral(events.map((e) => JSON.stringify(e.metadata))),
      arrayLiteral(events.map((e) => e.recordedAt.toISOString())),
    ],
  };
}
