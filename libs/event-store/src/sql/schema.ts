// Tables of the SQL event store, in their own schema. Every statement is idempotent. `hash` and
// `log_digest` are the chain (chain.ts): NULL only in rows written before it, until the store opens.
// (Databases created before the port lost its checkpoints may still have the unused
// `<schema>.checkpoints` table of the removed runSubscription: nothing reads it, it can be dropped.)

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Validates a schema name: it is spliced into SQL, so only plain lower-case identifiers. */
export function checkSchemaName(schema: string): string {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  return schema;
}

export function migrationStatements(s: string): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.events (
      global_position bigint PRIMARY KEY,
      stream_id text NOT NULL,
      stream_version integer NOT NULL,
      type text NOT NULL,
      data jsonb NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      recorded_at timestamptz NOT NULL DEFAULT now(),
      hash bytea,
      log_digest bytea,
      CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
    )`,
    `CREATE TABLE IF NOT EXISTS ${s}.streams (
      stream_id text PRIMARY KEY,
      version integer NOT NULL,
      hash bytea
    )`,
    // The chain (chain.ts) in a store made before it: its events are hashed when it opens.
    `ALTER TABLE ${s}.events ADD COLUMN IF NOT EXISTS hash bytea`,
    `ALTER TABLE ${s}.events ADD COLUMN IF NOT EXISTS log_digest bytea`,
    `ALTER TABLE ${s}.streams ADD COLUMN IF NOT EXISTS hash bytea`,
    `CREATE TABLE IF NOT EXISTS ${s}.dedupe (
      key text PRIMARY KEY,
      fingerprint text NOT NULL,
      stream_id text NOT NULL,
      global_position bigint
    )`,
  ];
}

/** The progress of `npm run migrate` into this schema: one row, made by the migration's first batch. */
export function migrationTable(s: string): string {
  return `CREATE TABLE IF NOT EXISTS ${s}.migration (one boolean PRIMARY KEY DEFAULT true CHECK (one), state jsonb NOT NULL)`;
}

/** First key of the two-key advisory locks of this store ("LEDG"). */
export const LOCK_CLASS = 0x4c454447;

/** Second key: one writer lock per schema, so stores in other schemas do not wait on each other. */
export function lockKey(purpose: string, schema: string): number {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (const ch of `${purpose}:${schema}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0; // int4
}
