// `lastUsedAt` of each key, written cheaply: kept in memory on every request, written to the
// read-model database at most once per key per `writeMs` (and at shutdown), never one write per
// request. It is a convenience for people rotating keys, not a record: it is not in the log.
import { Logger } from '@nestjs/common';
import { Instant } from '@ledger/domain';
import { SqlClient } from '@ledger/event-store';
import { migrateTables } from '../kit/tables';

export class KeyUse {
  private readonly log = new Logger('KeyUse');
  private readonly seen = new Map<string, Instant>();
  private readonly written = new Map<string, number>();
  private readonly stored = new Map<string, Instant>();
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly db: SqlClient,
    private readonly schema: string,
    private readonly writeMs: number,
  ) {}

  async start(): Promise<void> {
    await migrateTables(this.db, this.schema, 'access', [
      `CREATE TABLE IF NOT EXISTS ${this.schema}.api_key_use (key_id text PRIMARY KEY, last_used_at timestamptz NOT NULL)`,
    ]);
    await this.refresh();
  }

  /** A request used this key at `at`. */
  touch(keyId: string, at: Instant): void {
    this.seen.set(keyId, at);
    const last = this.written.get(keyId);
    if (last !== undefined && Date.now() - last < this.writeMs) return;
    this.written.set(keyId, Date.now());
    this.write(keyId, at);
  }

  lastUsedAt(keyId: string): Instant | null {
    const mine = this.seen.get(keyId);
    const theirs = this.stored.get(keyId);
    if (mine && theirs) return mine > theirs ? mine : theirs;
    return mine ?? theirs ?? null;
  }

  /** Re-reads what other processes wrote (for a list of keys). */
  async refresh(): Promise<void> {
    const rows = await this.db.query<{ key_id: string; last_used_at: Date | string }>(
      `SELECT key_id, last_used_at FROM ${this.schema}.api_key_use`,
    );
    for (const r of rows) this.stored.set(r.key_id, new Date(r.last_used_at).toISOString());
  }

  /** Writes every use not written yet (at shutdown). */
  async flush(): Promise<void> {
    for (const [keyId, at] of this.seen) if (this.stored.get(keyId) !== at) this.write(keyId, at);
    await Promise.all([...this.pending]);
  }

  private write(keyId: string, at: Instant): void {
    const p = this.db
      .query(
        `INSERT INTO ${this.schema}.api_key_use (key_id, last_used_at) VALUES ($1, $2)
         ON CONFLICT (key_id) DO UPDATE SET last_used_at = GREATEST(${this.schema}.api_key_use.last_used_at, EXCLUDED.last_used_at)`,
        [keyId, at],
      )
      .then(() => void this.stored.set(keyId, at))
      // A lost write loses a convenience, not a record: the next use writes again.
      .catch((err: Error) => this.log.warn(`lastUsedAt of ${keyId} not written: ${err.name}`))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}
