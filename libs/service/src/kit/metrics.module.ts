// One metrics registry per application: every module adds its counters and gauges to it, and
// GET /metrics (observability/) renders it; LedgerMetrics holds the histograms of the usage path.
import { Module } from '@nestjs/common';
import { LedgerMetrics } from './ledger-metrics';
import { MetricsRegistry } from './metrics-registry';

@Module({ providers: [MetricsRegistry, LedgerMetrics], exports: [MetricsRegistry, LedgerMetrics] })
export class MetricsModule {}
