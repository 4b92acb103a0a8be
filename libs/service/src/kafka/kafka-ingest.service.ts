// Runs the Kafka ingestor inside a Nest application (the all-in-one service or the standalone
// ingestor): starts once the application is up, stops first on shutdown (before the store closes).
// A consumer that crashes for good (kafkajs gives up: a lost group coordinator, a broker restart
// outlasting its retries) is replaced by a new one after a backoff, as often as it takes; /health
// and /metrics say it is down meanwhile and count the restarts. Nothing is lost by it: offsets are
// committed only after the append, so the new member starts where the group's commits stand.
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { LOG_CONTEXT, LogContext } from '../kit/log-context';
import { MetricsRegistry } from '../kit/metrics-registry';
import { TRACING, Tracing } from '../kit/tracing';
import { UsageIngest } from '../usage/usage-ingest';
import { IngestMetrics, PartitionLag } from './ingest-metrics';
import { KAFKA_CONFIG, KafkaConfig } from './kafka-config';
import { UsageConsumer, UsageConsumerOptions } from './usage-consumer';

/** What the service needs of a consumer: start it, stop it, its lag per partition (for /metrics). */
export interface RestartableConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  lag(): Promise<PartitionLag[] | undefined>;
}

export type ConsumerFactory = (options: UsageConsumerOptions) => RestartableConsumer;

/** A factory of consumers other than kafkajs's (tests); the real UsageConsumer otherwise. */
export const CONSUMER_FACTORY = Symbol('CONSUMER_FACTORY');

/** Backoff between restarts: doubles from 1 s up to 30 s, back to 1 s once a consumer has run a minute. */
export const RESTART_BACKOFF = { initialMs: 1000, maxMs: 30_000, healthyAfterMs: 60_000 };

export interface KafkaHealth {
  up: boolean;
  restarts: number;
  lastCrash: { at: string; message: string } | null;
}

@Injectable()
export class KafkaIngestService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly metrics: IngestMetrics;
  private readonly log = new Logger('KafkaIngest');
  private consumer?: RestartableConsumer;
  private readonly crashed: ((err: Error) => void)[] = [];
  private stopped = false;
  private backoffMs = RESTART_BACKOFF.initialMs;
  private restartTimer?: NodeJS.Timeout;
  private startedAt = 0;
  private readonly factory: ConsumerFactory;

  constructor(
    @Inject(KAFKA_CONFIG) readonly config: KafkaConfig,
    private readonly ingest: UsageIngest,
    registry: MetricsRegistry,
    @Optional() @Inject(CONSUMER_FACTORY) factory?: ConsumerFactory,
    @Optional() @Inject(LOG_CONTEXT) private readonly logContext?: LogContext,
    @Optional() @Inject(TRACING) private readonly tracing?: Tracing,
  ) {
    this.metrics = new IngestMetrics(config.groupId);
    this.factory = factory ?? ((o) => new UsageConsumer(o));
    // The consumer's counters (its own numbers) and lag, read at each scrape.
    this.metrics.register(registry, () => this.consumer?.lag() ?? Promise.resolve(undefined));
    registry.addHealth('kafka', () => ({ ok: this.metrics.up === 1, ...this.health() }));
  }

  /** Called at each crash the consumer did not survive (a new one follows after the backoff). */
  onCrash(handler: (err: Error) => void): void {
    this.crashed.push(handler);
  }

  async onApplicationBootstrap(): Promise<void> {
    // The first start must succeed: a bad setting or a missing topic stops the service, as it says.
    await this.startConsumer();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.consumer?.stop();
  }

  health(): KafkaHealth {
    return { up: this.metrics.up === 1, restarts: this.metrics.restarts, lastCrash: this.metrics.lastCrash ?? null };
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.factory({
      config: this.config,
      ingest: this.ingest,
      metrics: this.metrics,
      logContext: this.logContext,
      tracing: this.tracing,
      onFatal: (err) => void this.crash(consumer, err),
    });
    this.consumer = consumer;
    this.startedAt = Date.now();
    await consumer.start();
  }

  private async crash(consumer: RestartableConsumer, err: Error): Promise<void> {
    if (this.stopped || consumer !== this.consumer) return;
    this.metrics.up = 0;
    this.metrics.lastCrash = { at: new Date().toISOString(), message: err.message };
    this.crashed.forEach((h) => h(err));
    if (Date.now() - this.startedAt > RESTART_BACKOFF.healthyAfterMs) this.backoffMs = RESTART_BACKOFF.initialMs;
    await consumer.stop().catch(() => undefined); // leaves the group if it still can, frees its connections
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, RESTART_BACKOFF.maxMs);
    this.log.warn(`the consumer crashed for good; a new one starts in ${wait} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.metrics.restarts += 1;
      this.startConsumer().then(
        () => this.log.log(`consumer restarted (${this.metrics.restarts} restart(s) so far)`),
        (e: Error) => {
          this.log.warn(`restarting the consumer failed: ${e.message}`);
          this.metrics.up = 0;
          void this.consumer?.stop().catch(() => undefined);
          this.scheduleRestart();
        },
      );
    }, wait);
    this.restartTimer.unref();
  }
}
