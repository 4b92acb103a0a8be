// GET /metrics (Prometheus text: everything in the MetricsRegistry, and the Kafka ingest's own
// counters when it runs in this process, so there is one endpoint) and GET /health.
import { Controller, Get, Header, HttpStatus, Inject, Optional, Res } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { EVENT_STORE, EventStore } from '@ledger/event-store';
import { KafkaIngestService } from '../kafka/kafka-ingest.service';
import { FinanceProjections } from '../projections/finance-projections.service';
import { MetricsRegistry, PROMETHEUS_TEXT } from '../kit/metrics-registry';


@ApiTags('operations')
@Controller()
export class ObservabilityController {
  private kafka?: KafkaIngestService | null;

  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly moduleRef: ModuleRef,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() private readonly projections?: FinanceProjections,
  ) {}

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_TEXT)
  @ApiOperation({ summary: 'Metrics in the Prometheus text format: projection head, checkpoint and lag, and every module\'s own' })
  @ApiProduces('text/plain')
  async render(): Promise<string> {
    const text = await this.metrics.render();
    const kafka = this.kafkaIngest();
    return kafka ? text + (await kafka.renderMetrics().catch(() => '')) : text;
  }

  @Get('health')
  @ApiOperation({ summary: 'Liveness of the store and the projection: { status, store, projection: { head, checkpoint, lag } }' })
  async health(@Res({ passthrough: true }) res: Response) {
    let store: 'ok' | 'down' = 'ok';
    try {
      await this.store.headPosition();
    } catch {
      store = 'down';
    }
    if (store === 'down') {
      res.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'down', store, projection: null };
    }
    if (!this.projections) return { status: 'ok', store, projection: null };
    const p = this.projections;
    try {
      const projection = await p.status();
      return {
        status: projection.lag > p.config.healthMaxLag ? 'degraded' : 'ok', store,
        projection: { ...projection, running: p.projector.running, leader: p.projector.isLeader },
      };
    } catch (err) {
      return { status: 'degraded', store, projection: { error: (err as Error).message } };
    }
  }

  /**
   * The Kafka ingest when this process runs one: its counters and per-partition lag join this
   * endpoint (its module is imported only when KAFKA_BROKERS is set, hence the lookup).
   */
  private kafkaIngest(): KafkaIngestService | undefined {
    if (this.kafka === undefined) {
      try {
        this.kafka = this.moduleRef.get(KafkaIngestService, { strict: false }) ?? null;
      } catch {
        this.kafka = null;
      }
    }
    return this.kafka ?? undefined;
  }
}
