// The `store` section of the configuration: where the log, its dedupe keys, the read models and
// the process managers' tables live.
import { StorageConfig } from '@ledger/event-store';

export interface StoreConfig {
  store: StorageConfig;
  /** Schema of the store's tables (read models in `<schema>_rm`). */
  schema: string;
}

export const STORE_CONFIG = Symbol('STORE_CONFIG');
/** The store's schema (a string), for the modules whose tables live beside it. */
export const LEDGER_SCHEMA = Symbol('LEDGER_SCHEMA');
