// The projector on its own: the store, the finance projections, /metrics and /health. The
// service then runs with LEDGER_PROJECTOR=off and waits on this process's checkpoint.
import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, EventStore, LEDGER_DATABASE, openEventStore, SqlEventStore } from '@ledger/event-store';
import { LEDGER_CONFIG, LedgerConfig } from '@ledger/service/config';
import { ObservabilityController } from '@ledger/service/observability/observability.controller';
import { ProjectionConfig } from '@ledger/service/projections/projection-config';
import { projectionProviders } from '../../ledger/src/projections/projections.providers';

class StoreCloser implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

@Module({})
export class ProjectorModule {
  static forRoot(config: LedgerConfig, projection: ProjectionConfig): DynamicModule {
    return {
      module: ProjectorModule,
      controllers: [ObservabilityController],
      providers: [
        { provide: LEDGER_CONFIG, useValue: config },
        { provide: EVENT_STORE, useFactory: () => openEventStore(config.store, config.schema) },
        { provide: LEDGER_DATABASE, useFactory: (store: SqlEventStore) => store.database, inject: [EVENT_STORE] },
        StoreCloser,
        ...projectionProviders({ ...projection, enabled: true }),
      ],
    };
  }
}
