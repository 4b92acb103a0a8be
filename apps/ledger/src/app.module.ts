// The all-in-one ledger service: store, accounts, usage ingest, reading, the clock runner.
import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { EVENT_STORE, EventStore, LEDGER_DATABASE, openEventStore, SqlEventStore } from '@ledger/event-store';
import { ACCOUNT_COMMAND_HANDLERS } from '@ledger/service/accounts/account.commands';
import { AccountLedger } from '@ledger/service/accounts/account-ledger';
import { AccountsController } from '@ledger/service/accounts/accounts.controller';
import { CLOCK, SimulatedClock, SystemClock } from '@ledger/service/kit/clock';
import { LEDGER_CONFIG, LedgerConfig } from '@ledger/service/config';
import { FINANCE_CONTROLLERS, FINANCE_PROVIDERS } from './finance/finance.providers';
import { KafkaIngestModule } from '@ledger/service/kafka/kafka.module';
import { MetricsRegistry } from '@ledger/service/kit/metrics-registry';
import { ObservabilityController } from '@ledger/service/observability/observability.controller';
import { ClockRunner } from '@ledger/service/process/clock-runner';
import { PROCESS_CONTROLLERS, PROCESS_PROVIDERS } from './process/process.providers';
import { FinanceProjections } from '@ledger/service/projections/finance-projections.service';
import { projectionProviders } from './projections/projections.providers';
import { READING_HANDLERS } from '@ledger/service/reading/reading.queries';
import { ReadingController } from '@ledger/service/reading/reading.controller';
import { SimulationController } from '@ledger/service/simulation/simulation.controller';
import { EventsController } from '@ledger/service/usage/events.controller';
import { IngestUsageHandler } from './usage/ingest-usage.command';
import { UsageIngest } from '@ledger/service/usage/usage-ingest';

class StoreCloser implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

@Module({})
export class LedgerModule {
  static forRoot(config: LedgerConfig): DynamicModule {
    return {
      module: LedgerModule,
      imports: [CqrsModule.forRoot(), ...(config.kafka ? [KafkaIngestModule.forRoot(config.kafka)] : [])],
      // GET /metrics (ObservabilityController) includes the Kafka ingest's counters when it runs.
      controllers: [ObservabilityController, AccountsController, EventsController, ...FINANCE_CONTROLLERS, ReadingController, SimulationController, ...PROCESS_CONTROLLERS],
      providers: [
        { provide: LEDGER_CONFIG, useValue: config },
        { provide: EVENT_STORE, useFactory: () => openEventStore(config.store, config.schema) },
        { provide: LEDGER_DATABASE, useFactory: (store: SqlEventStore) => store.database, inject: [EVENT_STORE] },
        { provide: CLOCK, useFactory: () => (config.simulation.enabled ? new SimulatedClock(config.simulation.start) : new SystemClock()) },
        StoreCloser, AccountLedger, ...PROCESS_PROVIDERS, UsageIngest, IngestUsageHandler,
        ...ACCOUNT_COMMAND_HANDLERS, ...READING_HANDLERS, ...projectionProviders(), ...FINANCE_PROVIDERS,
      ],
      exports: [AccountLedger, UsageIngest, CLOCK, EVENT_STORE, LEDGER_DATABASE, LEDGER_CONFIG, ClockRunner, MetricsRegistry, FinanceProjections],
    };
  }
}
