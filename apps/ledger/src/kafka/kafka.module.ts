// The Kafka ingest: a consumer group on the usage topics feeding UsageIngest, dead letters,
// and GET /metrics. Imported by LedgerModule when the configuration has a `kafka` section.
import { DynamicModule, Module } from '@nestjs/common';
import { KAFKA_CONFIG, KafkaConfig } from './kafka-config';
import { KafkaIngestService } from './kafka-ingest.service';
import { MetricsController } from './metrics.controller';

@Module({})
export class KafkaIngestModule {
  static forRoot(config: KafkaConfig): DynamicModule {
    return {
      module: KafkaIngestModule,
      controllers: [MetricsController],
      providers: [{ provide: KAFKA_CONFIG, useValue: config }, KafkaIngestService],
      exports: [KafkaIngestService],
    };
  }
}
