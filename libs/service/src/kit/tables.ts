// Tables of the kit: the checkpoints of checkpointed projections (kit/checkpoint.ts) and the
// leases (kit/lease.ts), named `process_*` as they always were. The process managers keep both in
// the store's schema; the finance read models keep a lease table in their own schema (their
// checkpoint is a row of `<schema>.projector`, read-model-schema.ts). Every statement is
// idempotent; concurrent starts take turns on an advisory lock, as the store's own migration does.
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

/** The checkpoints and leases every checkpointed projection and leased loop needs. */
export const kitTables = (s: string): string[] => [
  // One row per checkpointed projection: the last global position whose effects are committed.
  `CREATE TABLE IF NOT EXISTS ${s}.process_checkpoints (
    name text PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  ...leaseTables(s),
];

/** Leases: which running copy does a job (one runner per shard, the projections, the dispatcher, the finance projector). */
export const leaseTables = (s: string): string[] => [
  `CREATE TABLE IF NOT EXISTS ${s}.process_leases (
    name text PRIMARY KEY,
    holder text NOT NULL,
    expires_at timestamptz NOT NULL,
    token bigint NOT NULL
  )`,
];
