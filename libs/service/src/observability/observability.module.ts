// GET /metrics and GET /health: the metrics registry every module writes to, the store's
// liveness and the projection's lag.
import { Module } from '@nestjs/common';
import { MetricsModule } from '../kit/metrics.module';
import { ProjectionsModule } from '../projections/projections.module';
import { StoreModule } from '../store/store.module';
import { ObservabilityController } from './observability.controller';

@Module({ imports: [StoreModule, MetricsModule, ProjectionsModule], controllers: [ObservabilityController] })
export class ObservabilityModule {}
