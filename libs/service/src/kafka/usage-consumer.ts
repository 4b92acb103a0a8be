// The Kafka ingestor: a consumer group on the usage topics. For each batch (one partition's
// records, in order; never two batches of one partition at once):
//   1. the events of the batch's records (kafka-binding.ts: structured or binary mode, or why
//      neither) go to the usage port (UsageIngest.ingest), in order, in calls of
//      at most its batch limit (one ledger transaction each, dedupe keys written with the
//      charges; one call for any batch of the default sizes), each with its provenance;
//   2. the rejected ones go to the dead-letter topic (acks -1) with the reason;
//   3. only then the batch is resolved and its offset committed.
// A failure in 1 or 2 (the store is down, the dead-letter send failed) is not bad input:
// nothing is dead-lettered or skipped, the partition is paused and the same batch comes again
// after a backoff. A crash between 1 and 3 redelivers the batch: the ledger answers
// `duplicate` for what it already has, so every event takes effect once.
import { Logger } from '@nestjs/common';
import { Context, Link, SpanKind, trace } from '@opentelemetry/api';
import { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Partitioners, Producer } from 'kafkajs';
import { LogContext, NO_LOG_CONTEXT } from '../kit/log-context';
import { inSpan, MAX_IDS_PER_SPAN, Tracing, TRACING_OFF } from '../kit/tracing';
import { Arrival } from '../usage/arrival';
import { EventResult, UsageIngestPort } from '../usage/usage-ingest';
import { deadLetterOf } from './dead-letter';
import { eventOfRecord, traceparentOf } from './kafka-binding';
import { IngestMetrics, PartitionLag } from './ingest-metrics';
import { connectionHint, createKafka, describeSecurity } from './kafka-client';
import { KafkaConfig } from './kafka-config';

export interface UsageConsumerOptions {
  config: KafkaConfig;
  ingest: UsageIngestPort;
  metrics?: IngestMetrics;
  kafka?: Kafka;
  /** Backoff of a failed batch: doubles from `initialMs` up to `maxMs` per partition. */
  retry?: { initialMs: number; maxMs: number };
  /** The consumer crashed and kafkajs will not restart it. */
  onFatal?: (err: Error) => void;
  /** Name in the log (several members in one process). */
  name?: string;
  /** Puts the batch's topic, partition and offsets in every line logged while it is handled. */
  logContext?: LogContext;
  /** A batch's span, child of its first record's `traceparent` (linked to the others'). */
  tracing?: Tracing;
}

/** The provenance stored with every event a Kafka record caused (shown on entries). */
export type KafkaProvenance = {
  via: 'kafka';
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kept as the decimal string kafkajs gives. */
  offset: string;
};

type Outcome = { consumed: number; accepted: number; duplicates: number; deadLettered: number };

const LAG_CACHE_MS = 1000;

export class UsageConsumer {
  readonly metrics: IngestMetrics;
  private readonly log: Logger;
  private readonly kafka: Kafka;
  private readonly retry: { initialMs: number; maxMs: number };
  private readonly topics: string[];
  private consumer?: Consumer;
  private producer?: Producer;
  private admin?: Admin;
  private readonly resumeTimers = new Map<string, NodeJS.Timeout>();
  private readonly delays = new Map<string, number>();
  private logTimer?: NodeJS.Timeout;
  private lastLogged = '';
  private lagCache?: { at: number; value: Promise<PartitionLag[] | undefined> };
  private stopping?: Promise<void>;

  constructor(private readonly options: UsageConsumerOptions) {
    const { config } = options;
    this.metrics = options.metrics ?? new IngestMetrics(config.groupId);
    this.log = new Logger(options.name ? `KafkaIngest ${options.name}` : 'KafkaIngest');
    this.kafka = options.kafka ?? createKafka(config);
    this.retry = options.retry ?? { initialMs: 500, maxMs: 30_000 };
    this.topics = [config.topics.renders, config.topics.streaming];
    this.metrics.track(this.topics);
  }

  private get config(): KafkaConfig {
    return this.options.config;
  }

  /** Connects, checks the topics exist, joins the group and starts consuming. */
  async start(): Promise<void> {
    const { config } = this;
    this.admin = this.kafka.admin();
    try {
      await this.admin.connect();
    } catch (err) {
      // kafkajs says what failed (authentication, a certificate); this says where, how, and what to check
      const { message } = err as Error;
      const where = `Kafka ${config.brokers.join(',')} over ${describeSecurity(config.security)}`;
      const hint = connectionHint(message);
      throw new Error(`${where}: ${message}${hint ? ` (${hint})` : ''}`, { cause: err });
    }
    const existing = new Set(await this.admin.listTopics());
    const missing = [...this.topics, config.topics.deadLetter].filter((t) => !existing.has(t));
    if (missing.length) {
      await this.admin.disconnect();
      throw new Error(
        `Kafka topics missing on ${config.brokers.join(',')}: ${missing.join(', ')} (create them: deploy/kafka/USING-YOUR-OWN-KAFKA.md)`,
      );
    }

    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      idempotent: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();

    const heartbeatInterval = Math.min(3000, Math.floor(config.sessionTimeoutMs / 3));
    const consumer = (this.consumer = this.kafka.consumer({
      groupId: config.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval,
      maxBytesPerPartition: config.maxBytesPerPartition,
      maxWaitTimeInMs: 500,
    }));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) {
        this.log.warn(`consumer crashed, kafkajs restarts it: ${payload.error.message}`);
        return;
      }
      this.metrics.up = 0;
      this.log.error(`consumer crashed and stays down: ${payload.error.message}`);
      this.options.onFatal?.(payload.error);
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const assigned = Object.entries(payload.memberAssignment)
        .map(([t, ps]) => `${t}[${ps.join(',')}]`)
        .join(' ');
      this.log.log(`joined group ${payload.groupId}${payload.isLeader ? ' (leader)' : ''}: ${assigned || 'no partitions'}`);
    });

    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: config.fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: config.concurrency,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.metrics.up = 1;
    if (config.metricsLogIntervalMs > 0) {
      this.logTimer = setInterval(() => void this.logMetrics(), config.metricsLogIntervalMs);
      this.logTimer.unref();
    }
    this.log.log(
      `consuming ${this.topics.join(', ')} as group ${config.groupId} on ${config.brokers.join(',')} over ${describeSecurity(config.security)}; dead letters to ${config.topics.deadLetter}`,
    );
  }

  /** Graceful: the batch in progress finishes and commits, then the member leaves the group. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.logTimer) clearInterval(this.logTimer);
      for (const t of this.resumeTimers.values()) clearTimeout(t);
      this.resumeTimers.clear();
      await this.consumer?.disconnect();
      this.metrics.up = 0;
      await this.producer?.disconnect();
      await this.logMetrics(true);
      await this.admin?.disconnect();
      this.log.log('stopped: the last batch was committed and the group left');
    })();
    return this.stopping;
  }

  /** Per partition: high watermark minus the group's committed offset (undefined when Kafka does not answer). */
  lag(): Promise<PartitionLag[] | undefined> {
    const now = Date.now();
    if (!this.lagCache || now - this.lagCache.at > LAG_CACHE_MS) this.lagCache = { at: now, value: this.fetchLag() };
    return this.lagCache.value;
  }

  private async fetchLag(): Promise<PartitionLag[] | undefined> {
    const admin = this.admin;
    if (!admin || this.stopping) return undefined;
    try {
      const committed = await admin.fetchOffsets({ groupId: this.config.groupId, topics: this.topics });
      const out: PartitionLag[] = [];
      for (const topic of this.topics) {
        const mine = new Map((committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
        for (const p of await admin.fetchTopicOffsets(topic)) {
          const high = Number(p.high);
          const low = Number(p.low);
          const c = mine.get(p.partition) ?? -1;
          const from = c >= 0 ? c : this.config.fromBeginning ? low : high;
          out.push({ topic, partition: p.partition, high, committed: from, lag: Math.max(0, high - from) });
        }
      }
      return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    } catch (err) {
      this.log.debug(`lag not available: ${(err as Error).message}`);
      return undefined;
    }
  }

  private async logMetrics(force = false): Promise<void> {
    const line = this.metrics.summary(force ? undefined : await this.lag());
    if (!force && line === this.lastLogged) return;
    this.lastLogged = line;
    this.log.log(line);
  }

  private onBatch(p: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = p.batch;
    if (messages.length === 0 || !p.isRunning() || p.isStale()) return Promise.resolve();
    const offsets = `${messages[0].offset}..${messages[messages.length - 1].offset}`;
    const { logContext = NO_LOG_CONTEXT, tracing = TRACING_OFF } = this.options;
    return logContext.run({ topic, partition, offsets }, () => {
      if (!tracing.enabled) return this.handleBatch(p, offsets);
      // The first record's traceparent is the batch's parent; the others' are links (a batch serves many traces).
      let parent: Context | undefined;
      const links: Link[] = [];
      for (const m of messages.slice(0, MAX_IDS_PER_SPAN)) {
        const context = tracing.contextOf(traceparentOf(m));
        if (context && !parent) parent = context;
        else if (context) links.push({ context: trace.getSpanContext(context)! });
      }
      const attributes = {
        'messaging.system': 'kafka',
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.batch.message_count': messages.length,
        'ledger.kafka.offsets': offsets,
      };
      return inSpan(tracing, `process ${topic}`, { kind: SpanKind.CONSUMER, attributes, links, parent }, () =>
        this.handleBatch(p, offsets),
      );
    });
  }

  private async handleBatch(p: EachBatchPayload, offsets: string): Promise<void> {
    const { batch } = p;
    const { topic, partition, messages } = batch;
    const key = `${topic}[${partition}]`;
    const range = `${key} ${offsets}`;

    // Long batches keep the membership alive (kafkajs throttles to heartbeatInterval).
    const beat = setInterval(() => p.heartbeat().catch((err) => this.log.debug(`heartbeat: ${err.message}`)), 1000);
    let outcome: Outcome;
    try {
      outcome = await this.apply(topic, partition, messages);
    } catch (err) {
      clearInterval(beat);
      this.retryLater(key, range, p, err as Error);
      return;
    }
    try {
      // Applied and dead letters sent: now (and only now) the batch counts as done.
      p.resolveOffset(messages[messages.length - 1].offset);
      const next = (BigInt(batch.lastOffset()) + 1n).toString();
      await p.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
    } finally {
      clearInterval(beat);
    }
    this.delays.delete(key);
    this.metrics.batchDone(topic, outcome);
    if (outcome.deadLettered)
      this.log.warn(`${range}: ${outcome.deadLettered} of ${outcome.consumed} records dead-lettered to ${this.config.topics.deadLetter}`);
    await p.heartbeat().catch(() => undefined);
  }

  /** Steps 1 and 2; throws when the batch must be retried. */
  private async apply(topic: string, partition: number, messages: KafkaMessage[]): Promise<Outcome> {
    const { ingest } = this.options;
    const results: EventResult[] = [];
    for (let from = 0; from < messages.length; from += ingest.maxBatch) {
      const chunk = messages.slice(from, from + ingest.maxBatch);
      // The record's timestamp (the producer's, or the broker's with LogAppendTime) is when it reached the ledger's log of record.
      const arrival: Arrival = { source: 'kafka', receivedAtMs: (i) => Number(chunk[i].timestamp) };
      const answer = await ingest.ingest(
        chunk.map(eventOfRecord),
        (i): KafkaProvenance => ({ via: 'kafka', topic, partition, offset: chunk[i].offset }),
        arrival,
      );
      if (!answer.ok) throw new Error(`ingest refused ${chunk.length} records: ${answer.failure.message}`);
      results.push(...answer.value);
    }
    if (results.length !== messages.length) throw new Error(`ingest answered ${results.length} results for ${messages.length} records`);
    const source = { topic, partition, groupId: this.config.groupId };
    const dead = results.flatMap((r, i) => (r.status === 'rejected' ? [deadLetterOf(messages[i], r.errors ?? [], source)] : []));
    if (dead.length) await this.producer!.send({ topic: this.config.topics.deadLetter, acks: -1, messages: dead });
    return {
      consumed: messages.length,
      accepted: results.filter((r) => r.status === 'accepted').length,
      duplicates: results.filter((r) => r.status === 'duplicate').length,
      deadLettered: dead.length,
    };
  }

  /** Not bad input: pause the partition, resume after a backoff; the same batch comes again. */
  private retryLater(key: string, range: string, p: EachBatchPayload, err: Error): void {
    const delay = this.delays.get(key) ?? this.retry.initialMs;
    this.delays.set(key, Math.min(delay * 2, this.retry.maxMs));
    this.metrics.batchRetried();
    this.log.warn(`${range} not applied (${err.message}); nothing skipped or dead-lettered, retrying in ${delay} ms`);
    const resume = p.pause();
    clearTimeout(this.resumeTimers.get(key));
    this.resumeTimers.set(
      key,
      setTimeout(() => {
        this.resumeTimers.delete(key);
        if (!this.stopping) resume();
      }, delay),
    );
  }
}
