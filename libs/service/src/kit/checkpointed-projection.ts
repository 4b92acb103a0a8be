// A checkpointed projection of the log into SQL, for the process managers (the deadline and
// notification projections): each step reads a batch after the checkpoint (a row of
// `<schema>.process_checkpoints`, kit/checkpoint.ts) and, in ONE transaction, moves the checkpoint
// from where it read (advance(): row-locked, guarded by "still where I read from") and applies the
// batch, so every event takes effect exactly once, whatever crashes.
//
// Several copies may run the same projection (two service instances, or a background loop and
// PUT /v1/simulation/clock in one): a copy that finds the checkpoint moved drops its batch, since
// another copy did it. A lease (kit/lease.ts, held by the loop that drives step()) only saves the
// wasted work. The finance projector (projections/projector.ts) uses the same Checkpoint and Lease
// with a pipeline of its own.
import { EventStore, GlobalPosition, Mutex, RecordedEvent, SqlClient, SqlExecutor } from '@ledger/event-store';
import { Checkpoint } from './checkpoint';

export interface ProjectionHandler {
  /** Checkpoint name (a row of process_checkpoints). */
  readonly name: string;
  /** Applies one batch, in order, inside the projection's transaction; `from`: the checkpoint it follows. */
  apply(tx: SqlExecutor, events: RecordedEvent[], from: GlobalPosition): Promise<void>;
  /** The batch applied last committed: the checkpoint is now `at` (what the handler keeps in memory is good through it). */
  committed?(at: GlobalPosition): void;
  /** Forgets what was projected (for a replay from the start of the log), inside a transaction. */
  reset(tx: SqlExecutor): Promise<void>;
}

/** Test seam: inject failures. */
export interface ProjectionFaults {
  /** Runs inside the transaction after the batch's row changes and the checkpoint's move, before COMMIT. */
  beforeCommit?(events: RecordedEvent[]): Promise<void> | void;
}

export class CheckpointedProjection {
  faults: ProjectionFaults = {};
  private readonly mutex = new Mutex();
  private readonly checkpoint: Checkpoint;
  private ensured = false;
  /** Events applied by this copy (for logs and benchmarks). */
  applied = 0;
  /**
   * The checkpoint as this copy last committed or read it: step() starts from it without reading
   * the row. Stale only if another copy moved it, which advance() then refuses (-1), and it is read again.
   */
  private known?: GlobalPosition;

  constructor(
    private readonly store: EventStore,
    private readonly db: SqlClient,
    readonly schema: string,
    private readonly handler: ProjectionHandler,
    private readonly batchSize: number,
  ) {
    this.checkpoint = new Checkpoint(db, `${schema}.process_checkpoints`, handler.name);
  }

  get name(): string {
    return this.handler.name;
  }

  /** The committed checkpoint (0n before the first batch). */
  async position(): Promise<GlobalPosition> {
    if (!this.ensured) {
      await this.checkpoint.ensure();
      this.ensured = true;
    }
    return this.checkpoint.position();
  }

  /**
   * Projects one batch after the checkpoint. Resolves with the number of events this copy applied,
   * 0 when there was nothing after the checkpoint, or -1 when another copy moved it meanwhile.
   */
  step(): Promise<number> {
    return this.mutex.run(async () => {
      const from = this.known ?? (this.known = await this.position());
      const events = await this.store.readAll(from, this.batchSize);
      if (events.length === 0) return 0;
      const last = events[events.length - 1].globalPosition;
      this.known = undefined; // until the outcome is known
      const done = await this.db.transaction(async (tx) => {
        if (!(await this.checkpoint.advance(tx, from, last))) return false;
        await this.handler.apply(tx, events, from);
        await this.faults.beforeCommit?.(events);
        return true;
      });
      if (!done) return -1;
      this.known = last;
      this.handler.committed?.(last);
      this.applied += events.length;
      return events.length;
    });
  }

  /**
   * Starts over: the checkpoint goes back to 0 and the handler forgets what it projected, in one
   * transaction; the next steps replay the whole log.
   */
  reset(): Promise<void> {
    return this.mutex.run(async () => {
      await this.position();
      this.known = undefined;
      await this.db.transaction(async (tx) => {
        await this.checkpoint.reset(tx);
        await this.handler.reset(tx);
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
        if ((await this.position()) < target)
          throw new Error(`projection ${this.name}: no events after ${await this.position()} although the head was ${target}`);
      }
    }
  }
}
