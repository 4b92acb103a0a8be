import { PgClient } from './sql/pg-client';
import { checkSchemaName } from './sql/schema';
import { PgliteClient } from './sql/pglite-client';
import { SqlEventStore } from './sql/sql-event-store';
import type { StorageConfig } from './open-storage';

/** @deprecated The SQL kinds of StorageConfig: use StorageConfig. */
export type EventStoreConfig = Extract<StorageConfig, { kind: 'pglite' | 'postgres' }>;

/**
 * Opens the SQL event store and creates its tables in `schema` when missing.
 * @deprecated Use openLedgerStorage: it opens every LEDGER_STORE kind (KurrentDB too) and hands
 * out the read-model database and the SQL log reader's needs without `instanceof` checks. Kept
 * only until apps/ switch to it.
 */
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
