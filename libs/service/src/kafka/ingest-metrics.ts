// A small counter set of the Kafka ingest, in the metrics registry and as one log line.
// Counters only move when a batch is done (appended, dead letters sent, offsets committed), so
// a batch retried after a store outage is counted once; a redelivered batch counts again (as
// duplicates, which is what the ledger answered).

import { MetricsRegistry } from '../kit/metrics-registry';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** Next offset to be written (the high watermark). */
  high: number;
  /** The group's committed offset, or the log start when it has none. */
  committed: number;
  lag: number;
}

interface TopicCounters {
  consumed: number;
  accepted: number;
  duplicates: number;
  deadLettered: number;
  batches: number;
}

const zero = (): TopicCounters => ({ consumed: 0, accepted: 0, duplicates: 0, deadLettered: 0, batches: 0 });

export interface BatchOutcome {
  consumed: number;
  accepted: number;
  duplicates: number;
  deadLettered: number;
}

export class IngestMetrics {
  private readonly topics = new Map<string, TopicCounters>();
  /** Batches that failed (store outage, dead-letter send) and were left to be retried. */
  retries = 0;
  /** 1 while the consumer runs, 0 before start, after stop or after a crash it did not survive. */
  up = 0;
  /** Consumers started again after a crash kafkajs would not survive (a lost coordinator, a broker restart). */
  restarts = 0;
  /** The last crash, for /health (its message; never a secret: kafkajs errors name brokers and codes). */
  lastCrash?: { at: string; message: string };

  constructor(readonly groupId: string) {}

  /** Shows these topics with zeros before their first batch. */
  track(topics: string[]): void {
    for (const t of topics) this.of(t);
  }

  batchDone(topic: string, o: BatchOutcome): void {
    const c = this.of(topic);
    c.consumed += o.consumed;
    c.accepted += o.accepted;
    c.duplicates += o.duplicates;
    c.deadLettered += o.deadLettered;
    c.batches += 1;
  }

  batchRetried(): void {
    this.retries += 1;
  }

  /** Totals over all topics. */
  totals(): TopicCounters & { retries: number } {
    const t = zero();
    for (const c of this.topics.values()) for (const k of Object.keys(t) as (keyof TopicCounters)[]) t[k] += c[k];
    return { ...t, retries: this.retries };
  }

  byTopic(topic: string): TopicCounters {
    return { ...this.of(topic) };
  }

  /**
   * The counters and the per-partition lag as prom-client metrics of `registry`, read at each
   * scrape (the consumer counts in plain numbers on its path; nothing is done per record for
   * metrics). `lag` is asked at the scrape too (cached by the consumer).
   */
  register(registry: MetricsRegistry, lag: () => Promise<PartitionLag[] | undefined>): void {
    const group = this.groupId;
    const perTopic = (name: string, help: string, key: keyof TopicCounters) =>
      registry.counterFrom(name, help, () => [...this.topics].map(([topic, c]) => ({ labels: { group, topic }, value: c[key] })), [
        'group',
        'topic',
      ]);
    const one = (name: string, help: string, value: () => number, kind: 'gauge' | 'counterFrom' = 'counterFrom') =>
      registry[kind](name, help, () => [{ labels: { group }, value: value() }], ['group']);
    perTopic('ledger_kafka_messages_consumed_total', 'Kafka records processed and committed.', 'consumed');
    perTopic('ledger_kafka_events_accepted_total', 'Usage events the ledger recorded.', 'accepted');
    perTopic('ledger_kafka_events_duplicate_total', 'Usage events already recorded (same source and id).', 'duplicates');
    perTopic('ledger_kafka_events_dead_lettered_total', 'Records sent to the dead-letter topic.', 'deadLettered');
    perTopic('ledger_kafka_batches_total', 'Batches processed and committed.', 'batches');
    one('ledger_kafka_batch_retries_total', 'Batches left for a retry after a store or dead-letter failure.', () => this.retries);
    one('ledger_kafka_consumer_up', '1 while the consumer runs.', () => this.up, 'gauge');
    one('ledger_kafka_consumer_restarts_total', 'Consumers started again after a crash kafkajs did not survive.', () => this.restarts);
    registry.gauge(
      'ledger_kafka_consumer_lag',
      'Records not yet committed by the group: high watermark minus committed offset.',
      async () => ((await lag()) ?? []).map((p) => ({ labels: { group, topic: p.topic, partition: p.partition }, value: p.lag })),
      ['group', 'topic', 'partition'],
    );
  }

  /** One line for the log. */
  summary(lag: PartitionLag[] | undefined): string {
    const t = this.totals();
    const lagText = lag ? `, lag ${lag.reduce((s, p) => s + p.lag, 0)}` : '';
    return `consumed ${t.consumed} (accepted ${t.accepted}, duplicates ${t.duplicates}, dead-lettered ${t.deadLettered}) in ${t.batches} batches, retries ${t.retries}${lagText}`;
  }

  private of(topic: string): TopicCounters {
    let c = this.topics.get(topic);
    if (!c) this.topics.set(topic, (c = zero()));
    return c;
  }
}
