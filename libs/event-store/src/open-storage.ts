// Everything the ledger service stores, opened from one config: the log (the EventStore port) and
// the SQL database of its checkpoints, read models and process managers. See ../README.md.
import { KurrentDbEventStore } from './kurrentdb/kurrentdb-event-store';
import { EventStore, GlobalPosition, RecordedEvent } from './port';
import { PgClient } from './sql/pg-client';
import { PgliteClient } from './sql/pglite-client';
import { checkSchemaName, LOCK_CLASS, lockKey } from './sql/schema';
import { SqlClient } from './sql/sql-client';
import { SqlEventStore } from './sql/sql-event-store';

export type StorageConfig =
  /** The log and everything else in PGlite in this process: persisted to `dataDir`, or in memory without it. */
  | { kind: 'pglite'; dataDir?: string }
  /** The log and everything else on a PostgreSQL server, e.g. `postgres://user@host:5432/db`. */
  | { kind: 'postgres'; url: string }
  /**
   * The log (and its dedupe keys) in KurrentDB 25.1+, `url` a connection string such as
   * `kurrentdb://localhost:2113?tls=false`; checkpoints, read models and process managers on the
   * PostgreSQL server at `databaseUrl`.
   */
  | { kind: 'kurrentdb'; url: string; databaseUrl: string };

export type StorageKind = StorageConfig['kind'];

/** The log is the SQL store's events table in `LedgerStorage.database`: it may be read with SQL. */
export interface SqlLog {
  /** Schema of the events table (`<schema>.events`). */
  schema: string;
  /** The events after `after` this process appended and still holds in memory, oldest first (maybe none). */
  recentAfter(after: GlobalPosition, maxCount: number): RecordedEvent[];
}

export interface LedgerStorage {
  kind: StorageKind;
  /** The log. */
  store: EventStore;
  /**
   * The database of checkpoints, read models and process managers (PGlite or PostgreSQL). Each
   * consumer keeps its checkpoint there, in the transaction of its effects. Not to be closed
   * on its own: close() does it.
   */
  database: SqlClient;
  /** Present when the log is the SQL table in `database` (pglite, postgres): a fast SQL reader of it is possible. */
  sqlLog?: SqlLog;
  /** PGlite: one connection in this process, one statement at a time, no second process on its data. */
  embedded: boolean;
  /** Closes the store and the database (once; later calls wait for the first). */
  close(): Promise<void>;
}

/**
 * DI token of the `LedgerStorage` (for what needs `sqlLog`, `embedded` or `close`); EVENT_STORE and
 * LEDGER_DATABASE are then its `store` and `database`.
 */
export const LEDGER_STORAGE = Symbol('LEDGER_STORAGE');

/**
 * Opens the storage of `config`: the log's tables are created in `schema` when missing (SQL), and
 * `schema` exists in `database` (the process managers' tables go in it, the read models in
 * `<schema>_rm`). Rejects, leaving nothing open, when a database cannot be reached.
 */
export async function openLedgerStorage(config: StorageConfig, schema = 'ledger'): Promise<LedgerStorage> {
  checkSchemaName(schema); // before starting anything
  return config.kind === 'kurrentdb' ? openKurrentDb(config, schema) : openSql(config, schema);
}

async function openSql(config: Extract<StorageConfig, { kind: 'pglite' | 'postgres' }>, schema: string): Promise<LedgerStorage> {
  const database = config.kind === 'pglite' ? await PgliteClient.open(config.dataDir) : PgClient.connect(config.url);
  let store: SqlEventStore;
  try {
    store = await SqlEventStore.open(database, { schema, ownsClient: false });
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
  return {
    kind: config.kind,
    store,
    database,
    sqlLog: { schema, recentAfter: (after, maxCount) => store.recentAfter(after, maxCount) },
    embedded: config.kind === 'pglite',
    close: once(async () => {
      await store.close();
      await database.close();
    }),
  };
}

async function openKurrentDb(config: Extract<StorageConfig, { kind: 'kurrentdb' }>, schema: string): Promise<LedgerStorage> {
  // Dedupe keys are NOT moved to PostgreSQL: see KurrentDbEventStore (they must commit with the log).
  const database = PgClient.connect(config.databaseUrl);
  const store = KurrentDbEventStore.connect(config.url);
  try {
    await database.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${lockKey('migrate', schema)})`);
      // Checkpoints in this schema count positions of one log: never mix a SQL log's with KurrentDB's.
      const [{ events }] = await tx.query<{ events: string | null }>(`SELECT to_regclass($1)::text AS events`, [`${schema}.events`]);
      if (events !== null) {
        throw new Error(
          `schema ${schema} of the PostgreSQL database holds a SQL event log (${schema}.events): ` +
            'its checkpoints and read models are of that log, not of KurrentDB; choose another schema or LEDGER_STORE=postgres',
        );
      }
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    });
    await store.headPosition(); // reach KurrentDB now rather than at the first request
  } catch (err) {
    await Promise.all([store.close(), database.close()].map((p) => p.catch(() => undefined)));
    throw err;
  }
  return {
    kind: 'kurrentdb',
    store,
    database,
    embedded: false,
    close: once(async () => {
      await Promise.all([store.close(), database.close()]);
    }),
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= fn());
}
