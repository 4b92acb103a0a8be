import { PgClient } from './sql/pg-client';
import { checkSchemaName } from './sql/schema';
import { PgliteClient } from './sql/pglite-client';
import { SqlEventStore } from './sql/sql-event-store';

export type EventStoreConfig =
  /** PGlite in this process: persisted to `dataDir`, or in memory without it. */
  | { kind: 'pglite'; dataDir?: string }
  /** A PostgreSQL server, e.g. `postgres://user@host:5432/db`. */
  | { kind: 'postgres'; url: string };

/** Opens the SQL event store and creates its tables in `schema` when missing. */
export async function openEventStore(config: EventStoreConfig, schema = 'ledger'): Promise<SqlEventStore> {
  checkSchemaName(schema); // before starting anything
  const client = config.kind === 'pglite' ? await PgliteClient.open(config.dataDir) : PgClient.connect(config.url);
  try {
    return await SqlEventStore.open(client, { schema });
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
