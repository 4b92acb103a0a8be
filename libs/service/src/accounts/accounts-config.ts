// The `accounts` section of the configuration: the rate card and the writer's cache.
import { CatalogBook } from '@ledger/domain';

export interface AccountsConfig {
  /** The catalog versions, oldest first (LEDGER_CATALOG_FILE, or the default rate card). */
  book: CatalogBook;
  /**
   * Account states the writer keeps in memory, least recently used leaving first
   * (LEDGER_ACCOUNT_CACHE, 20,000). A cached state is a few KiB live, and V8 lets the heap grow to
   * several times what is live before it collects (bench/memory.ts: 50,000 states peaked above
   * 1 GiB RSS with a million accounts touched, 20,000 at about 770 MiB). Misses cost one query per batch.
   */
  cacheLimit: number;
}

export const ACCOUNTS_CONFIG = Symbol('ACCOUNTS_CONFIG');
