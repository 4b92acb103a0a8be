// GET /metrics (Prometheus text: everything in the MetricsRegistry, the Kafka ingest's own
// counters included when it runs in this process, so there is one endpoint) and GET /health.
import { Controller, Get, Header, HttpStatus, Inject, Optional, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { EVENT_STORE, EventStore } from '@ledger/event-store';
import { FinanceProjections } from '../projections/finance-projections.service';
import { MetricsRegistry, PROMETHEUS_TEXT } from '../kit/metrics-registry';

@ApiTags('operations')
@Controller()
export class ObservabilityController {
  constructor(
    private readonly metrics: MetricsRegistry,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() private readonly projections?: FinanceProjections,
  ) {}

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_TEXT)
  @ApiOperation({ summary: "Metrics in the Prometheus text format: projection head, checkpoint and lag, and every module's own" })
  @ApiProduces('text/plain')
  async render(): Promise<string> {
    return this.metrics.render();
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
    // The other parts (the Kafka consumer): one not ok makes the whole degraded.
    const parts = this.metrics.health();
    const partsOk = Object.values(parts).every((p) => p.ok);
    if (!this.projections) return { status: partsOk ? 'ok' : 'degraded', store, projection: null, ...parts };
    const p = this.projections;
    try {
      const projection = await p.status();
      return {
        status: projection.lag > p.config.healthMaxLag || !partsOk ? 'degraded' : 'ok',
        store,
        projection: { ...projection, running: p.projector.running, leader: p.projector.isLeader },
        ...parts,
      };
    } catch (err) {
      return { status: 'degraded', store, projection: { error: (err as Error).message }, ...parts };
    }
  }
}
