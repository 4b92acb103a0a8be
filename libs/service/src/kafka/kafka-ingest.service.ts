// Runs the Kafka ingestor inside a Nest application (the all-in-one service or the standalone
// ingestor): starts once the application is up, stops first on shutdown (before the store closes).
import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
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
    private readonly moduleRef: ModuleRef,
  ) {
    this.metrics = new IngestMetrics(config.groupId);
  }

  /** Called when the consumer crashed and will not come back (the standalone ingestor exits). */
  onFatal(handler: (err: Error) => void): void {
    this.fatal.push(handler);
  }

  async onApplicationBootstrap(): Promise<void> {
    // LedgerModule imports this module, so UsageIngest (a LedgerModule provider) is looked up
    // in the whole application rather than injected (that would be a module cycle).
    const ingest = this.moduleRef.get(UsageIngest, { strict: false });
    this.consumer = new UsageConsumer({
      config: this.config, ingest, metrics: this.metrics,
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
