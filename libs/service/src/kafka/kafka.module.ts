// The Kafka ingest: a consumer group on the usage topics feeding UsageIngest, and dead letters.
// Imported by LedgerModule when the configuration has a `kafka` section; its counters and lag
// are served in the service's GET /metrics (observability.controller.ts).
import { DynamicModule, Module } from '@nestjs/common';
import { KAFKA_CONFIG, KafkaConfig } from './kafka-config';
import { KafkaIngestService } from './kafka-ingest.service';

@Module({})
export class KafkaIngestModule {
  static forRoot(config: KafkaConfig): DynamicModule {
    return {
      module: KafkaIngestModule,
      providers: [{ provide: KAFKA_CONFIG, useValue: config }, KafkaIngestService],
      exports: [KafkaIngestService],
    };
  }
}
