// The process managers' tables live in the store's database and schema, named `process_*`
// (and `notification_*` for notifications/). Every statement is idempotent; concurrent starts take
// turns on an advisory lock, as the store's own migration does.
import { SqlClient } from '@ledger/event-store';

const LOCK_CLASS = 0x4c50524d; // "LPRM"

function lockKey(text: string): number {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (const ch of text) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** Runs `statements` in one transaction, one migrating process at a time per (purpose, schema). */
export async function migrateTables(db: SqlClient, schema: string, purpose: string, statements: string[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${lockKey(`${purpose}:${schema}`)})`);
    await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    for (const s of statements) await tx.query(s);
  });
}

export const processTables = (s: string): string[] => [
  // One row per checkpointed projection: the last global position whose effects are committed.
  `CREATE TABLE IF NOT EXISTS ${s}.process_checkpoints (
    name text PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  // The schedule: each account's next expiry or period end.
  `CREATE TABLE IF NOT EXISTS ${s}.process_deadlines (
    account_id text PRIMARY KEY,
    due_at timestamptz NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS process_deadlines_due_at ON ${s}.process_deadlines (due_at)`,
  // The compact per-account summary the schedule is computed from: lots that can still expire,
  // periods still running (libs/domain/src/process/deadlines.ts is the same fold in memory).
  `CREATE TABLE IF NOT EXISTS ${s}.process_open_lots (
    account_id text NOT NULL,
    lot_id text NOT NULL,
    expires_at timestamptz NOT NULL,
    remaining bigint NOT NULL,
    PRIMARY KEY (account_id, lot_id)
  )`,
  `CREATE TABLE IF NOT EXISTS ${s}.process_open_periods (
    account_id text NOT NULL,
    period_id text NOT NULL,
    ends_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, period_id)
  )`,
  // Leases: which running copy does a job (one runner per shard, one projector, one dispatcher).
  `CREATE TABLE IF NOT EXISTS ${s}.process_leases (
    name text PRIMARY KEY,
    holder text NOT NULL,
    expires_at timestamptz NOT NULL,
    token bigint NOT NULL
  )`,
];
