// Runs the Kafka ingestor inside a Nest application (the all-in-one service or the standalone
// ingestor): starts once the application is up, stops first on shutdown (before the store closes).
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { MetricsRegistry } from '../kit/metrics-registry';
import { UsageIngest } from '../usage/usage-ingest';
import { IngestMetrics } from './ingest-metrics';
import { KAFKA_CONFIG, KafkaConfig } from './kafka-config';
import { UsageConsumer } from './usage-consumer';

@Injectable()
export class KafkaIngestService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly metrics: IngestMetrics;
  private consumer?: UsageConsumer;
  private readonly fatal: ((err: Error) => void)[] = [];

  constructor(
    @Inject(KAFKA_CONFIG) readonly config: KafkaConfig,
    private readonly ingest: UsageIngest,
    registry: MetricsRegistry,
  ) {
    this.metrics = new IngestMetrics(config.groupId);
    // The consumer's counters and lag are their own Prometheus text: one source of the registry.
    registry.addSource('kafka-ingest', () => this.renderMetrics());
  }

  /** Called when the consumer crashed and will not come back (the standalone ingestor exits). */
  onFatal(handler: (err: Error) => void): void {
    this.fatal.push(handler);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new UsageConsumer({
      config: this.config,
      ingest: this.ingest,
      metrics: this.metrics,
      onFatal: (err) => this.fatal.forEach((h) => h(err)),
    });
    await this.consumer.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.stop();
  }

  renderMetrics(): Promise<string> {
    return this.consumer ? this.consumer.renderMetrics() : Promise.resolve(this.metrics.render(undefined));
  }
}
