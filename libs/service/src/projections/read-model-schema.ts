// The finance read models: tables in their own schema (`<ledger schema>_rm`) of the store's
// database. Amounts are exact integers: credits in millionths (bigint), money in cents (bigint).
// Every column is a function of the log alone (no wall-clock times), so a rebuild from the log
// gives the same rows, which is what the audit replay compares.
//
// Beside the tables, in the same schema so that a replay's --switch moves them together: the
// projector's checkpoint, the row `finance` of `projector` (kit/checkpoint.ts; with the version of
// the tables), and its lease, a row of `process_leases` (kit/lease.ts).
import { checkSchemaName, SqlExecutor } from '@ledger/event-store';
import { Checkpoint } from '../kit/checkpoint';
import { leaseTables } from '../kit/tables';

/**
 * Bumped when a table changes shape or meaning: a read model of another version must be rebuilt
 * (`npm run replay -- --switch`). 2: the holds table, and the accounts' index in byte order.
 */
export const READ_MODEL_VERSION = 2;

/** The projector's checkpoint row, and its lease. */
export const FINANCE_PROJECTOR = 'finance';

/** The checkpoint of the read models in `schema`. */
export const financeCheckpoint = (db: SqlExecutor, schema: string, name = FINANCE_PROJECTOR): Checkpoint =>
  new Checkpoint(db, `${schema}.projector`, name);

export const readModelSchemaOf = (ledgerSchema: string): string => checkSchemaName(`${ledgerSchema}_rm`);

export interface ReadModelTable {
  name: string;
  /** Columns of the primary key, in order: rows are compared and listed in this order. */
  key: string[];
  columns: string;
  /** Secondary indexes: name suffix and column list. */
  indexes: [string, string][];
  /** Rows are only ever inserted: a rebuild may add the primary key after loading. */
  insertOnly?: boolean;
}

/** Every read model table, in the order the projector writes them. */
export const READ_MODEL_TABLES: readonly ReadModelTable[] = [
  {
    name: 'accounts',
    key: ['account_id'],
    columns: `account_id text NOT NULL, name text NOT NULL, opened_at timestamptz NOT NULL, position bigint NOT NULL`,
    // The directory's pages are in account id order, byte by byte whatever the database's collation.
    indexes: [['id_bytes', 'account_id COLLATE "C"']],
    insertOnly: true,
  },
  {
    name: 'balances',
    key: ['account_id', 'wallet'],
    // What the log has recorded: grants less charges, expiries and forfeits (corrections undo
    // part of an expiry or forfeit). Balances as of an instant come from history (balance.ts).
    columns: `account_id text NOT NULL, wallet text NOT NULL, plan text, period_id text,
      granted bigint NOT NULL, charged bigint NOT NULL, expired bigint NOT NULL, forfeited bigint NOT NULL,
      available bigint GENERATED ALWAYS AS (granted - charged - expired - forfeited) STORED,
      overage bigint NOT NULL, uncovered bigint NOT NULL, exhausted boolean NOT NULL, position bigint NOT NULL`,
    indexes: [],
  },
  {
    name: 'lots',
    key: ['account_id', 'lot_id'],
    columns: `account_id text NOT NULL, lot_id text NOT NULL, wallet text NOT NULL, period_id text,
      granted bigint NOT NULL, charged bigint NOT NULL, expired bigint NOT NULL, forfeited bigint NOT NULL,
      corrected bigint NOT NULL, remaining bigint GENERATED ALWAYS AS (granted - charged - expired - forfeited) STORED,
      issued_at timestamptz, expires_at timestamptz, closure text, closed_at timestamptz, position bigint NOT NULL`,
    indexes: [],
  },
  {
    name: 'holds',
    key: ['account_id', 'hold_id'],
    // Every hold as recorded: placed, then captured, released or expired (status and ended_at).
    // What is held at an instant is decided by time (domain holds.ts holdOpenAt): placed by then,
    // not past expires_at, not ended by then; the directory reads it so, as the balances route does.
    columns: `account_id text NOT NULL, hold_id text NOT NULL, wallet text NOT NULL, hold_key text NOT NULL, period_id text,
      usage_kind text NOT NULL, credits bigint NOT NULL, placed_at timestamptz NOT NULL, expires_at timestamptz NOT NULL,
      status text NOT NULL, ended_at timestamptz, position bigint NOT NULL`,
    // the holds of an account not expired by an instant
    indexes: [['open', 'account_id, wallet, expires_at']],
  },
  {
    name: 'entries',
    key: ['position', 'seq'],
    // One row per ledger entry (reading/views.ts entriesOf): `seq` is its index among the
    // entries of the event at `position`. What the event itself says (provenance, recording
    // time, the usage record, draws) stays in the log: the view entries_with_provenance joins
    // it by position rather than copying it (a rebuild writes a million of these rows).
    // `reason`: why a forfeit happened, or which closure a correction undoes.
    columns: `position bigint NOT NULL, seq smallint NOT NULL, account_id text NOT NULL, wallet text NOT NULL,
      kind text NOT NULL, at timestamptz NOT NULL, credits bigint NOT NULL, lot_id text, period_id text,
      usage_kind text, reason text`,
    // by account in log order (the API); by event time for a period's export
    indexes: [
      ['account', 'account_id, position, seq'],
      ['at', 'at, position, seq'],
    ],
    insertOnly: true,
  },
  {
    name: 'usage_daily',
    key: ['account_id', 'day', 'usage_kind'],
    // Usage records by the UTC day of their event time: how many, the credits they were priced
    // at (whether drawn from lots, overage or uncovered), their durations.
    columns: `account_id text NOT NULL, day date NOT NULL, usage_kind text NOT NULL,
      records bigint NOT NULL, credits bigint NOT NULL, duration_ms bigint NOT NULL,
      overage bigint NOT NULL, uncovered bigint NOT NULL`,
    indexes: [['day', 'day']],
  },
  {
    name: 'usage_monthly',
    key: ['account_id', 'month', 'usage_kind'],
    columns: `account_id text NOT NULL, month date NOT NULL, usage_kind text NOT NULL,
      records bigint NOT NULL, credits bigint NOT NULL, duration_ms bigint NOT NULL,
      overage bigint NOT NULL, uncovered bigint NOT NULL`,
    indexes: [['month', 'month']],
  },
  {
    name: 'periods',
    key: ['account_id', 'period_id'],
    columns: `account_id text NOT NULL, period_id text NOT NULL, wallet text NOT NULL, plan text,
      catalog_version text, start_reason text, starts_at timestamptz, ends_at timestamptz,
      ended_at timestamptz, end_reason text, monthly_credits bigint, price_cents bigint,
      overage_cents_per_credit bigint, auto_renew boolean, allow_overage boolean,
      records bigint NOT NULL, charged bigint NOT NULL, overage bigint NOT NULL, uncovered bigint NOT NULL,
      position bigint NOT NULL`,
    indexes: [],
  },
  {
    name: 'invoices',
    key: ['number'],
    columns: `number text NOT NULL, account_id text NOT NULL, kind text NOT NULL, wallet text NOT NULL, plan text NOT NULL,
      period_id text NOT NULL, period_starts_at timestamptz NOT NULL, period_ends_at timestamptz NOT NULL,
      total_cents bigint NOT NULL, catalog_version text NOT NULL, issued_at timestamptz NOT NULL,
      supplements text, line_count integer NOT NULL, position bigint NOT NULL`,
    indexes: [
      ['account', 'account_id, position'],
      ['issued', 'issued_at'],
    ],
    insertOnly: true,
  },
  {
    name: 'invoice_lines',
    key: ['number', 'line_no'],
    columns: `number text NOT NULL, line_no integer NOT NULL, description text NOT NULL, usage_kind text,
      quantity bigint NOT NULL, unit_price_cents bigint NOT NULL, amount_cents bigint NOT NULL`,
    indexes: [],
    insertOnly: true,
  },
];

export const tableNamed = (name: string): ReadModelTable => {
  const t = READ_MODEL_TABLES.find((x) => x.name === name);
  if (!t) throw new Error(`no read model table ${name}`);
  return t;
};

/**
 * Statements creating the schema and its tables when missing. With `deferIndexes` the secondary
 * indexes, and the primary keys of insert-only tables, are left out: a rebuild loads first and
 * indexes once at the end (indexStatements), which is much faster than index upkeep row by row.
 */
/**
 * Where the read models find the events their entries came from: the store's own table when the
 * log is in this database, else the copy the projector keeps in the read models' schema.
 */
export const logTableOf = (s: string, ledgerSchema: string, copyLog: boolean | undefined): string =>
  copyLog ? `${s}.log_events` : `${ledgerSchema}.events`;

/** The copy of the account events, for a log that is not in this database (KurrentDB). */
const logCopyTable = (s: string) => `CREATE TABLE IF NOT EXISTS ${s}.log_events (
    global_position bigint PRIMARY KEY, stream_id text NOT NULL, stream_version integer NOT NULL, type text NOT NULL,
    data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL)`;

export function readModelStatements(
  s: string,
  ledgerSchema: string,
  options: { deferIndexes?: boolean; copyLog?: boolean } = {},
): string[] {
  checkSchemaName(s);
  checkSchemaName(ledgerSchema);
  const out = [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    // The projector's checkpoint (kit/checkpoint.ts) and the version of the tables it writes. Not a read model itself.
    `CREATE TABLE IF NOT EXISTS ${s}.projector (
      name text PRIMARY KEY, position bigint NOT NULL, version integer NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`,
    // Who runs the projector (kit/lease.ts).
    ...leaseTables(s),
  ];
  for (const t of READ_MODEL_TABLES) {
    const key = options.deferIndexes && t.insertOnly ? '' : `, ${primaryKey(t)}`;
    out.push(`CREATE TABLE IF NOT EXISTS ${s}.${t.name} (${t.columns}${key})`);
  }
  // Every field of an entry (reading/views.ts entriesOf), its provenance and recording time from
  // the log itself when it is in this database: never copied, so never out of step. Otherwise
  // from the copy the projector writes in the batch transaction of the events' own entries.
  if (options.copyLog) out.push(logCopyTable(s));
  out.push(`CREATE OR REPLACE VIEW ${s}.entries_with_provenance AS
    SELECT en.*, ev.recorded_at, ev.metadata AS provenance,
      coalesce(ev.data #>> '{usage,ref,source}', ev.data #>> '{usage,source}') AS usage_source,
      coalesce(ev.data #>> '{usage,ref,id}', ev.data #>> '{usage,id}') AS usage_id,
      CASE WHEN en.kind IN ('charge', 'overage', 'uncovered') THEN ev.data -> 'usage' END AS usage,
      CASE WHEN en.kind IN ('charge', 'overage', 'uncovered') THEN ev.data -> 'priced' END AS priced,
      CASE WHEN en.kind = 'charge' THEN ev.data -> 'draws' END AS draws,
      CASE WHEN en.kind IN ('charge', 'overage', 'uncovered') THEN ev.data -> 'flags' END AS flags
    FROM ${s}.entries en JOIN ${logTableOf(s, ledgerSchema, options.copyLog)} ev ON ev.global_position = en.position`);
  if (!options.deferIndexes) out.push(...indexStatements(s, { keys: false }));
  return out;
}

const primaryKey = (t: ReadModelTable) => `CONSTRAINT ${t.name}_pkey PRIMARY KEY (${t.key.join(', ')})`;

/** Secondary indexes (and with `keys`, the primary keys of insert-only tables) a rebuild adds at the end. */
export function indexStatements(s: string, options: { keys: boolean }): string[] {
  return READ_MODEL_TABLES.flatMap((t) => [
    ...(options.keys && t.insertOnly ? [`ALTER TABLE ${s}.${t.name} ADD ${primaryKey(t)}`] : []),
    ...t.indexes.map(([suffix, cols]) => `CREATE INDEX IF NOT EXISTS ${t.name}_${suffix}_idx ON ${s}.${t.name} (${cols})`),
  ]);
}
