// GET /metrics: the Kafka ingest counters in Prometheus text (only when Kafka is on).
import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { KafkaIngestService } from './kafka-ingest.service';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly kafka: KafkaIngestService) {}

  @Get()
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({ summary: 'Kafka ingest counters and per-partition lag (Prometheus text format)' })
  @ApiProduces('text/plain')
  metrics(): Promise<string> {
    return this.kafka.renderMetrics();
  }
}
