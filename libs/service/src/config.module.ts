// The configuration, read once at start (config.ts), handed to every module as its own
// section under its own token. Global: a module injects its section, never the whole.
import { DynamicModule, Global, Module } from '@nestjs/common';
import { ACCESS_CONFIG } from './access/access-config';
import { ACCOUNTS_CONFIG, AccountsConfig } from './accounts/accounts-config';
import { LedgerConfig } from './config';
import { DASHBOARD_CONFIG } from './dashboard/dashboard-config';
import { HOLDS_CONFIG } from './holds/holds-config';
import { KAFKA_CONFIG } from './kafka/kafka-config';
import { CLOCK, SimulatedClock, SystemClock } from './kit/clock';
import { NOTIFICATION_CONFIG } from './notifications/notification-config';
import { PROCESS_CONFIG } from './process/process-config';
import { PROJECTION_CONFIG } from './projections/projection-config';
import { STORE_CONFIG, StoreConfig } from './store/store-config';
import { USAGE_CONFIG, UsageConfig } from './usage/usage-config';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: LedgerConfig): DynamicModule {
    const sections = [
      { provide: STORE_CONFIG, useValue: { store: config.store, schema: config.schema } satisfies StoreConfig },
      { provide: ACCOUNTS_CONFIG, useValue: { book: config.book, cacheLimit: config.accountCache } satisfies AccountsConfig },
      { provide: USAGE_CONFIG, useValue: { maxBatch: config.maxBatch } satisfies UsageConfig },
      { provide: ACCESS_CONFIG, useValue: config.access },
      { provide: HOLDS_CONFIG, useValue: config.holds },
      { provide: PROCESS_CONFIG, useValue: config.process },
      { provide: NOTIFICATION_CONFIG, useValue: config.notifications },
      { provide: PROJECTION_CONFIG, useValue: config.projections },
      { provide: KAFKA_CONFIG, useValue: config.kafka },
      { provide: DASHBOARD_CONFIG, useValue: config.dashboard },
      { provide: CLOCK, useFactory: () => (config.simulation.enabled ? new SimulatedClock(config.simulation.start) : new SystemClock()) },
    ];
    return { module: ConfigModule, providers: sections, exports: sections.map((s) => s.provide) };
  }
}
