// One metrics registry per process: every module adds its counters and gauges to it, and
// GET /metrics (observability/) renders it.
import { Module } from '@nestjs/common';
import { MetricsRegistry } from './metrics-registry';

@Module({ providers: [MetricsRegistry], exports: [MetricsRegistry] })
export class MetricsModule {}
