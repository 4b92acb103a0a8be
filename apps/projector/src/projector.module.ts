// The projector on its own: the store, the finance projections, /metrics (a metrics or admin key,
// as on the service) and /health. The
// service then runs with LEDGER_PROJECTOR=off and waits on this process's checkpoint.
import { DynamicModule, Module } from '@nestjs/common';
import { AccessModule } from '@ledger/service/access/access.module';
import { LedgerConfig } from '@ledger/service/config';
import { ConfigModule } from '@ledger/service/config.module';
import { LoggingModule } from '@ledger/service/observability/logging.module';
import { ObservabilityModule } from '@ledger/service/observability/observability.module';
import { TracingModule } from '@ledger/service/observability/tracing.module';
import { ProjectionsModule } from '@ledger/service/projections/projections.module';
import { StoreModule } from '@ledger/service/store/store.module';

@Module({})
export class ProjectorModule {
  static forRoot(config: LedgerConfig): DynamicModule {
    // This process exists to run the projector, whatever LEDGER_PROJECTOR says for the service.
    const own = { ...config, projections: { ...config.projections, enabled: true } };
    return {
      module: ProjectorModule,
      imports: [
        ConfigModule.forRoot(own),
        LoggingModule.forRoot(own.logging),
        TracingModule.forRoot(own.tracing),
        StoreModule,
        AccessModule,
        ProjectionsModule,
        ObservabilityModule,
      ],
    };
  }
}
