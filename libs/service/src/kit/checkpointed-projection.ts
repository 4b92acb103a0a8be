// A checkpointed projection of the log into SQL: each batch's row changes and the checkpoint are
// written in ONE transaction, so every event takes effect exactly once, whatever crashes.
//
// Several copies may run the same projection (two service instances, or a background loop and
// PUT /v1/simulation/clock in one): the transaction first locks the checkpoint row and goes on
// only if it still holds the position the batch was read after; otherwise another copy already
// did that batch and this one is dropped. A lease (lease.ts) only saves the wasted work.
import { EventStore, GlobalPosition, Mutex, RecordedEvent, SqlClient, SqlExecutor } from '@ledger/event-store';

export interface ProjectionHandler {
  /** Checkpoint name (a row of process_checkpoints). */
  readonly name: string;
  /** Applies one batch, in order, inside the projection's transaction. */
  apply(tx: SqlExecutor, events: RecordedEvent[]): Promise<void>;
  /** Forgets what was projected (for a replay from the start of the log), inside a transaction. */
  reset(tx: SqlExecutor): Promise<void>;
}

/** Test seam: inject failures. */
export interface ProjectionFaults {
  /** Runs inside the transaction after the batch's row changes, before the checkpoint and COMMIT. */
  beforeCheckpoint?(events: RecordedEvent[]): Promise<void> | void;
}

export class CheckpointedProjection {
  faults: ProjectionFaults = {};
  private readonly mutex = new Mutex();
  private ensured = false;
  /** Events applied by this copy (for logs and benchmarks). */
  applied = 0;

  constructor(
    private readonly store: EventStore,
    private readonly db: SqlClient,
    readonly schema: string,
    private readonly handler: ProjectionHandler,
    private readonly batchSize: number,
  ) {}

  get name(): string {
    return this.handler.name;
  }

  /** The committed checkpoint (0n before the first batch). */
  async position(): Promise<GlobalPosition> {
    await this.ensureRow();
    const [row] = await this.db.query<{ position: bigint | string }>(
      `SELECT position FROM ${this.schema}.process_checkpoints WHERE name = $1`, [this.handler.name]);
    return BigInt(row.position);
  }

  /**
   * Projects one batch after the checkpoint. Resolves with the number of events this copy applied,
   * 0 when there was nothing after the checkpoint, or -1 when another copy moved it meanwhile.
   */
  step(): Promise<number> {
    return this.mutex.run(async () => {
      const from = await this.position();
      const events = await this.store.readAll(from, this.batchSize);
      if (events.length === 0) return 0;
      const last = events[events.length - 1].globalPosition;
      const done = await this.db.transaction(async (tx) => {
        const [row] = await tx.query<{ position: bigint | string }>(
          `SELECT position FROM ${this.schema}.process_checkpoints WHERE name = $1 FOR UPDATE`, [this.handler.name]);
        if (BigInt(row.position) !== from) return false;
        await this.handler.apply(tx, events);
        await this.faults.beforeCheckpoint?.(events);
        await tx.query(
          `UPDATE ${this.schema}.process_checkpoints SET position = $2::bigint, updated_at = now() WHERE name = $1`,
          [this.handler.name, String(last)]);
        return true;
      });
      if (!done) return -1;
      this.applied += events.length;
      return events.length;
    });
  }

  /**
   * Starts over: the handler forgets what it projected and the checkpoint goes back to 0, in one
   * transaction; the next steps replay the whole log.
   */
  reset(): Promise<void> {
    return this.mutex.run(async () => {
      await this.ensureRow();
      await this.db.transaction(async (tx) => {
        await tx.query(`SELECT position FROM ${this.schema}.process_checkpoints WHERE name = $1 FOR UPDATE`, [this.handler.name]);
        await this.handler.reset(tx);
        await tx.query(`UPDATE ${this.schema}.process_checkpoints SET position = 0, updated_at = now() WHERE name = $1`, [this.handler.name]);
      });
    });
  }

  /** Resolves once the checkpoint has reached the head of the log as it stood at the call. */
  async catchUp(): Promise<void> {
    const target = await this.store.headPosition();
    while ((await this.position()) < target) {
      if ((await this.step()) === 0) {
        // Nothing after the checkpoint although the head is beyond it: the head moved back (a
        // fresh store under the same name?). Refuse rather than spin.
        if ((await this.position()) < target) throw new Error(`projection ${this.name}: no events after ${await this.position()} although the head was ${target}`);
      }
    }
  }

  private async ensureRow(): Promise<void> {
    if (this.ensured) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.process_checkpoints (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [this.handler.name]);
    this.ensured = true;
  }
}
