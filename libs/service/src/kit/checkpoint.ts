// A projection's checkpoint: the row `name` of a checkpoint table (columns name, position,
// updated_at), holding the last global position whose effects are committed. Every projection of
// the service keeps one: the process managers' in `<ledger schema>.process_checkpoints`
// (kit/tables.ts), the finance read models' in `<read model schema>.projector`, beside the
// tables it describes, so that a replay's --switch moves it with them.
//
// The one rule that makes a projection exact: a batch's writes and the move of its checkpoint
// commit in ONE transaction, and the move is guarded by "the checkpoint is still where I read the
// batch from". advance() is the transaction's first statement: it row-locks the checkpoint until
// the commit, so a second copy of the projection waits, then finds the checkpoint moved and drops
// its batch. No lease is needed for correctness (kit/lease.ts only saves the wasted work).
import { GlobalPosition, SqlExecutor } from '@ledger/event-store';

/** A batch was not applied: the checkpoint was no longer where it was read from (another copy, or a replay's --switch, moved it). */
export class CheckpointMoved extends Error {
  constructor(
    readonly checkpoint: string,
    readonly from: GlobalPosition,
  ) {
    super(`checkpoint ${checkpoint} is no longer at ${from}: batch not applied`);
    this.name = 'CheckpointMoved';
  }
}

export class Checkpoint {
  /** `table`: schema-qualified, e.g. `ledger.process_checkpoints`. */
  constructor(
    private readonly db: SqlExecutor,
    readonly table: string,
    readonly name: string,
  ) {}

  /** Creates the row at position 0 when missing (a table with more columns creates its rows itself). */
  async ensure(): Promise<void> {
    await this.db.query(`INSERT INTO ${this.table} (name, position) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [this.name]);
  }

  /** The committed position, read with `db` (a transaction's snapshot, say) or the client. */
  async position(db: Pick<SqlExecutor, 'query'> = this.db): Promise<GlobalPosition> {
    const rows = await db.query<{ position: bigint | string }>(`SELECT position FROM ${this.table} WHERE name = $1`, [this.name]);
    if (rows.length === 0) throw new Error(`no checkpoint ${this.name} in ${this.table}`);
    return BigInt(rows[0].position);
  }

  /**
   * In the batch's transaction, before its writes: moves the checkpoint from `from` to `to` and
   * keeps the row locked until the transaction ends. False when it is no longer at `from`:
   * nothing moved, and the caller must not commit the batch.
   */
  async advance(tx: SqlExecutor, from: GlobalPosition, to: GlobalPosition): Promise<boolean> {
    const moved = await tx.query(
      `UPDATE ${this.table} SET position = $3::bigint, updated_at = now() WHERE name = $1 AND position = $2::bigint RETURNING 1`,
      [this.name, String(from), String(to)],
    );
    return moved.length === 1;
  }

  /** In a transaction: back to 0 wherever it stood (a replay from the start), the row locked until the end. */
  async reset(tx: SqlExecutor): Promise<void> {
    const moved = await tx.query(`UPDATE ${this.table} SET position = 0, updated_at = now() WHERE name = $1 RETURNING 1`, [this.name]);
    if (moved.length !== 1) throw new Error(`no checkpoint ${this.name} in ${this.table}`);
  }
}
