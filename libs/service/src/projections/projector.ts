// The checkpointed projector: reads the global log from its checkpoint and applies each batch
// to the read models in ONE transaction with the new checkpoint, so a crash at any point leaves
// the read models exactly as of a checkpoint (no event applied twice, none skipped).
//
// One projector applies at a time: the checkpoint row carries a lease (holder + expiry). The
// batch transaction's first statement renews it AND moves the checkpoint, guarded by
// "holder = me, lease not expired, checkpoint where I left it": it takes the row lock for the
// whole transaction, so a rival waits for the commit and then sees a live lease; a holder whose
// lease was taken over finds no row and rolls back.
import { randomUUID } from 'crypto';
import { GlobalPosition, PgliteClient, SqlClient } from '@ledger/event-store';
import { AfterStatement, PreparedBatch, prepareFinanceBatch, UsageWatermark, writePreparedBatch } from './batch-writer';
import { FinanceBatch } from './finance-batch';
import { FoldThread } from './fold-thread';
import { LogReader, SqlLogReader } from './log-reader';
import { FINANCE_PROJECTOR, indexStatements, READ_MODEL_VERSION, readModelStatements } from './read-model-schema';

export interface ProjectorOptions {
  db: SqlClient;
  reader: LogReader;
  /** Schema of the read models (`<ledger schema>_rm`, or a fresh one for a rebuild). */
  schema: string;
  /** The store's schema in the same database (`ledger`): the entries' provenance view joins its events. */
  ledgerSchema: string;
  /** Checkpoint row (default `finance`). */
  name?: string;
  /** This projector's identity in the lease (default: a random one). */
  holder?: string;
  /** Most events per batch, i.e. per transaction (default 10,000). */
  batchSize?: number;
  /** Most events per read of the log (default 20,000, at most batchSize): a batch is made of one or more reads. */
  pageSize?: number;
  /** Lease length (default 10 s); renewed by every batch and while idle. */
  leaseMs?: number;
  /** Poll interval once caught up (default 50 ms); a standby tries to take the lease every `standbyMs` (default 1 s). */
  pollMs?: number;
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

/** The lease was taken over, or the checkpoint moved under us: the batch was not applied. */
export class LeaseLost extends Error {
  constructor(holder: string) {
    super(`projector ${holder} does not hold the lease (or the checkpoint moved): batch not applied`);
    this.name = 'LeaseLost';
  }
}

interface Waiter {
  target: GlobalPosition;
  resolve(reached: boolean): void;
  timer: NodeJS.Timeout;
}

export type StepResult = 'applied' | 'idle' | 'standby';

/** A batch ready to write. `batch` is there when it was folded on this thread (not by a FoldThread). */
interface Ready {
  events: number;
  last: GlobalPosition;
  batch?: FinanceBatch;
  prepared: PreparedBatch;
}

export class Projector {
  readonly holder: string;
  readonly name: string;
  private readonly batchSize: number;
  private readonly pageSize: number;
  private readonly leaseMs: number;
  private checkpoint: GlobalPosition = 0n;
  private watermark: UsageWatermark = { day: null, month: null };
  /**
   * The next batch, read, folded and prepared (statements and parameters) while the previous one
   * is written: a PostgreSQL server writes while this process gets the next one ready.
   */
  private prefetched?: { after: GlobalPosition; upTo?: GlobalPosition; ready: Promise<Ready | undefined> };
  private holding = false;
  private renewedAt = 0;
  private stopped = true;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly o: ProjectorOptions) {
    this.holder = o.holder ?? `projector-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.name = o.name ?? FINANCE_PROJECTOR;
    this.batchSize = o.batchSize ?? 10_000;
    this.pageSize = Math.min(o.pageSize ?? 20_000, this.batchSize);
    this.leaseMs = o.leaseMs ?? 10_000;
  }

  /** Last checkpoint this projector applied or saw. */
  get position(): GlobalPosition {
    return this.checkpoint;
  }

  get isLeader(): boolean {
    return this.holding;
  }

  get running(): boolean {
    return !this.stopped;
  }

  /** Creates the schema, tables and checkpoint row when missing; refuses read models of another version. */
  async migrate(): Promise<void> {
    await migrateReadModels(this.o.db, this.o.schema, this.o.ledgerSchema, this.name);
  }

  /** Runs the loop in the background until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    if (this.holding) {
      this.holding = false;
      await this.o.db.query(`UPDATE ${this.o.schema}.projector SET holder = NULL, lease_until = NULL WHERE name = $1 AND holder = $2`, [this.name, this.holder]).catch(() => undefined);
    }
    for (const w of this.waiters) this.settle(w, this.checkpoint >= w.target);
  }

  /** Resolves true once the checkpoint reaches `target`, false after `timeoutMs`. */
  waitFor(target: GlobalPosition, timeoutMs: number): Promise<boolean> {
    if (this.checkpoint >= target) return Promise.resolve(true);
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
    if (this.o.foldThread && this.o.reader instanceof SqlLogReader) {
      if (!this.holding && !(await this.acquire())) throw new Error(`projector ${this.holder} could not take the lease of ${this.o.schema}.projector`);
      await this.runOnFoldThread(this.o.reader, goal);
      return this.checkpoint;
    }
    while (this.checkpoint < goal) {
      const r = await this.step(goal);
      if (r === 'standby') throw new Error(`projector ${this.holder} could not take the lease of ${this.o.schema}.projector`);
      if (r === 'idle') break;
    }
    return this.checkpoint;
  }

  /** One round: takes or renews the lease, then applies one batch if there is one. */
  async step(upTo?: GlobalPosition): Promise<StepResult> {
    if (!this.holding && !(await this.acquire())) return 'standby';
    const ready = await this.next(this.checkpoint, upTo);
    if (!ready) {
      if (Date.now() - this.renewedAt > this.leaseMs / 3) await this.renew();
      return this.holding ? 'idle' : 'standby';
    }
    await this.apply(ready, upTo);
    return 'applied';
  }

  /** Reads up to batchSize events after `after` (one or more reads) and folds them into a batch. */
  private async collect(after: GlobalPosition, upTo?: GlobalPosition): Promise<FinanceBatch | undefined> {
    const batch = new FinanceBatch();
    let from = after;
    while (batch.events < this.batchSize) {
      const want = Math.min(this.pageSize, this.batchSize - batch.events);
      const page = await this.o.reader.read(from, want, upTo);
      for (const e of page) batch.add(e);
      if (page.length > 0) from = page[page.length - 1].position;
      if (page.length < want) break;
    }
    return batch.events > 0 ? batch : undefined;
  }

  /** The batch after `after`, prepared against `watermark` (what the tables will hold by then). */
  private async ready(after: GlobalPosition, upTo: GlobalPosition | undefined, watermark: UsageWatermark): Promise<Ready | undefined> {
    const batch = await this.collect(after, upTo);
    return batch && { batch, events: batch.events, last: batch.last!, prepared: prepareFinanceBatch(this.o.schema, batch, watermark) };
  }

  private next(after: GlobalPosition, upTo?: GlobalPosition): Promise<Ready | undefined> {
    const p = this.prefetched;
    this.prefetched = undefined;
    if (p && p.after === after && p.upTo === upTo) return p.ready;
    return this.ready(after, upTo, this.watermark);
  }

  private async apply({ batch, prepared, events, last: to }: Ready, upTo?: GlobalPosition): Promise<void> {
    const started = Date.now();
    const from = this.checkpoint;
    if (batch) await this.o.beforeTransaction?.(batch);
    const s = this.o.schema;
    try {
      const writing = this.o.db.transaction(async (tx) => {
        const moved = await tx.query(
          `UPDATE ${s}.projector SET position = $1::bigint, lease_until = now() + $2::bigint * interval '1 millisecond'
           WHERE name = $3 AND holder = $4 AND position = $5::bigint AND lease_until > now() RETURNING position`,
          [to.toString(), String(this.leaseMs), this.name, this.holder, from.toString()],
        );
        if (moved.length !== 1) throw new LeaseLost(this.holder);
        await writePreparedBatch(tx, prepared, this.o.afterStatement);
      });
      if (batch && events >= this.batchSize && (this.o.prefetch ?? !(this.o.db instanceof PgliteClient))) {
        // Likely more to come: get the next batch ready while this one is written (if this one
        // fails, the next is dropped: it was prepared against this one's watermark).
        const next = this.ready(to, upTo, prepared.watermark);
        next.catch(() => undefined); // reported when (and if) it is used
        this.prefetched = { after: to, upTo, ready: next };
      }
      await writing;
    } catch (err) {
      this.prefetched = undefined;
      if (err instanceof LeaseLost) this.holding = false;
      throw err;
    }
    this.watermark = prepared.watermark;
    this.renewedAt = started;
    this.checkpoint = to;
    this.o.onBatch?.({ holder: this.holder, from, to, events, ms: Date.now() - started });
    for (const w of this.waiters) if (this.checkpoint >= w.target) this.settle(w, true);
  }

  /**
   * The rebuild's pipeline: this thread reads the pages of batch k+1 (handing each to the fold
   * thread) while the fold thread seals batch k, then writes batch k while the fold thread folds
   * the pages of k+1. The database (on this thread with PGlite) is never left waiting on JavaScript.
   */
  private async runOnFoldThread(reader: SqlLogReader, goal: GlobalPosition): Promise<void> {
    const fold = new FoldThread(this.o.schema);
    try {
      let readFrom = this.checkpoint;
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
      let watermark = this.watermark;
      while (posted > 0) {
        const sealing = fold.seal(watermark);
        const next = await fill();
        const sealed = await sealing;
        await this.apply({ events: sealed.events, last: BigInt(sealed.last), prepared: sealed.prepared });
        watermark = sealed.prepared.watermark;
        posted = next;
      }
    } finally {
      await fold.close();
    }
  }

  private async acquire(): Promise<boolean> {
    const rows = await this.o.db.query<{ position: bigint | string }>(
      `UPDATE ${this.o.schema}.projector SET holder = $1, lease_until = now() + $2::bigint * interval '1 millisecond'
       WHERE name = $3 AND (holder = $1 OR holder IS NULL OR lease_until IS NULL OR lease_until < now()) RETURNING position`,
      [this.holder, String(this.leaseMs), this.name],
    );
    this.holding = rows.length === 1;
    this.prefetched = undefined;
    if (this.holding) {
      this.checkpoint = BigInt(rows[0].position);
      this.renewedAt = Date.now();
      // Whoever held the lease before may have written usage since: read the watermark again.
      const [w] = await this.o.db.query<{ day: string | null; month: string | null }>(
        `SELECT (SELECT max(day)::text FROM ${this.o.schema}.usage_daily) AS day, (SELECT max(month)::text FROM ${this.o.schema}.usage_monthly) AS month`);
      this.watermark = { day: w.day, month: w.month };
    }
    return this.holding;
  }

  private async renew(): Promise<void> {
    const rows = await this.o.db.query(
      `UPDATE ${this.o.schema}.projector SET lease_until = now() + $1::bigint * interval '1 millisecond'
       WHERE name = $2 AND holder = $3 AND lease_until > now() RETURNING position`,
      [String(this.leaseMs), this.name, this.holder],
    );
    this.holding = rows.length === 1;
    if (this.holding) this.renewedAt = Date.now();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let pause = 0;
      try {
        const r = await this.step();
        pause = r === 'applied' ? 0 : r === 'idle' ? (this.o.pollMs ?? 50) : (this.o.standbyMs ?? 1000);
      } catch (err) {
        this.o.onError?.(err);
        // A lost lease is looked at again at once (after a --switch the lease is free to take).
        pause = err instanceof LeaseLost ? 0 : this.o.retryMs ?? 1000;
      }
      if (pause > 0 && !this.stopped) await this.sleep(pause);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private settle(w: Waiter, reached: boolean): void {
    if (!this.waiters.delete(w)) return;
    clearTimeout(w.timer);
    w.resolve(reached);
  }
}

/** Creates the read model schema when missing (safe from several processes at once). */
export async function migrateReadModels(
  db: SqlClient, schema: string, ledgerSchema: string, name = FINANCE_PROJECTOR, options: { deferIndexes?: boolean } = {},
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${0x4c454447}, hashtext($1))`, [`migrate:${schema}`]);
    for (const statement of readModelStatements(schema, ledgerSchema, options)) await tx.query(statement);
    await tx.query(
      `INSERT INTO ${schema}.projector (name, position, version) VALUES ($1, 0, $2) ON CONFLICT (name) DO NOTHING`,
      [name, READ_MODEL_VERSION],
    );
    const [row] = await tx.query<{ version: number }>(`SELECT version FROM ${schema}.projector WHERE name = $1`, [name]);
    if (row.version !== READ_MODEL_VERSION) {
      throw new Error(`read models in ${schema} are version ${row.version}, this code writes version ${READ_MODEL_VERSION}: ` +
        'rebuild them with `npm run replay -- --switch`');
    }
  });
}

/** Creates the keys and indexes a rebuild left out. */
export async function createReadModelIndexes(db: SqlClient, schema: string): Promise<void> {
  for (const statement of indexStatements(schema, { keys: true })) await db.query(statement);
}
