// The store: the event-store port (EVENT_STORE), the SQL database the read models and process
// managers write to (LEDGER_DATABASE) and the schema (LEDGER_SCHEMA). Closed last at shutdown.
import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, EventStore, LEDGER_DATABASE, openEventStore, SqlEventStore } from '@ledger/event-store';
import { LEDGER_SCHEMA, STORE_CONFIG, StoreConfig } from './store-config';

class StoreCloser implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

@Module({
  providers: [
    { provide: EVENT_STORE, useFactory: (c: StoreConfig) => openEventStore(c.store, c.schema), inject: [STORE_CONFIG] },
    { provide: LEDGER_DATABASE, useFactory: (store: SqlEventStore) => store.database, inject: [EVENT_STORE] },
    { provide: LEDGER_SCHEMA, useFactory: (c: StoreConfig) => c.schema, inject: [STORE_CONFIG] },
    StoreCloser,
  ],
  exports: [EVENT_STORE, LEDGER_DATABASE, LEDGER_SCHEMA],
})
export class StoreModule {}
