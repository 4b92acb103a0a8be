// The Kafka ingest: a consumer group on the usage topics feeding the usage port (UsageIngest),
// and dead letters. Imported by LedgerModule when the configuration has a `kafka` section; its
// counters and per-partition lag join the process's GET /metrics through the metrics registry.
import { Module } from '@nestjs/common';
import { MetricsModule } from '../kit/metrics.module';
import { UsageModule } from '../usage/usage.module';
import { KafkaIngestService } from './kafka-ingest.service';

@Module({
  imports: [UsageModule, MetricsModule],
  providers: [KafkaIngestService],
  exports: [KafkaIngestService],
})
export class KafkaModule {}
