// The whole ledger, one module per capability, as the three apps run it: the service (HTTP),
// the standalone Kafka ingestor and the file CLI (no HTTP: the controllers stay unmounted).
// The projector app composes fewer (apps/projector).
import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { AccessModule } from './access/access.module';
import { AccountsModule } from './accounts/accounts.module';
import { AuditModule } from './audit/audit.module';
import { LedgerConfig } from './config';
import { ConfigModule } from './config.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { DirectoryModule } from './directory/directory.module';
import { FinanceModule } from './finance/finance.module';
import { HoldsModule } from './holds/holds.module';
import { KafkaModule } from './kafka/kafka.module';
import { NotificationsModule } from './notifications/notifications.module';
import { LoggingModule } from './observability/logging.module';
import { ObservabilityModule } from './observability/observability.module';
import { TracingModule } from './observability/tracing.module';
import { ProcessModule } from './process/process.module';
import { ProjectionsModule } from './projections/projections.module';
import { ReadingModule } from './reading/reading.module';
import { SimulationModule } from './simulation/simulation.module';
import { StoreModule } from './store/store.module';
import { UsageModule } from './usage/usage.module';

@Module({})
export class LedgerModule {
  static forRoot(config: LedgerConfig): DynamicModule {
    return {
      module: LedgerModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config.logging),
        TracingModule.forRoot(config.tracing),
        CqrsModule.forRoot(),
        StoreModule,
        AccessModule,
        ObservabilityModule,
        AccountsModule,
        UsageModule,
        ...(config.kafka ? [KafkaModule] : []),
        ReadingModule,
        HoldsModule,
        ProjectionsModule,
        FinanceModule,
        DirectoryModule,
        NotificationsModule,
        ProcessModule,
        SimulationModule,
        DashboardModule,
        AuditModule,
      ],
    };
  }
}
