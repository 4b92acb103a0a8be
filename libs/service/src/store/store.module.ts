// The store: the whole storage of the ledger opened from one config (LEDGER_STORAGE), its log as
// the event-store port (EVENT_STORE), the SQL database the read models and process managers
// write to (LEDGER_DATABASE) and the schema (LEDGER_SCHEMA). Closed last at shutdown.
import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, LEDGER_DATABASE, LEDGER_STORAGE, LedgerStorage, openLedgerStorage } from '@ledger/event-store';
import { LEDGER_SCHEMA, STORE_CONFIG, StoreConfig } from './store-config';

class StorageCloser implements OnApplicationShutdown {
  constructor(@Inject(LEDGER_STORAGE) private readonly storage: LedgerStorage) {}
  async onApplicationShutdown(): Promise<void> {
    await this.storage.close();
  }
}

@Module({
  providers: [
    { provide: LEDGER_STORAGE, useFactory: (c: StoreConfig) => openLedgerStorage(c.store, c.schema), inject: [STORE_CONFIG] },
    { provide: EVENT_STORE, useFactory: (s: LedgerStorage) => s.store, inject: [LEDGER_STORAGE] },
    { provide: LEDGER_DATABASE, useFactory: (s: LedgerStorage) => s.database, inject: [LEDGER_STORAGE] },
    { provide: LEDGER_SCHEMA, useFactory: (c: StoreConfig) => c.schema, inject: [STORE_CONFIG] },
    StorageCloser,
  ],
  exports: [LEDGER_STORAGE, EVENT_STORE, LEDGER_DATABASE, LEDGER_SCHEMA],
})
export class StoreModule {}
