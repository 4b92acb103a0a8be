// A small counter set of the Kafka ingest, rendered as Prometheus text and as one log line.
// Counters only move when a batch is done (appended, dead letters sent, offsets committed), so
// a batch retried after a store outage is counted once; a redelivered batch counts again (as
// duplicates, which is what the ledger answered).

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

  /** Prometheus text exposition format (version 0.0.4). */
  render(lag: PartitionLag[] | undefined): string {
    const out: string[] = [];
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const family = (name: string, type: 'counter' | 'gauge', help: string, samples: [Record<string, string | number>, number][]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) {
        const l = Object.entries({ group: this.groupId, ...labels })
          .map(([k, v]) => `${k}="${esc(String(v))}"`)
          .join(',');
        out.push(`${name}{${l}} ${value}`);
      }
    };
    const perTopic = (key: keyof TopicCounters): [Record<string, string>, number][] =>
      [...this.topics].map(([topic, c]) => [{ topic }, c[key]]);
    family('ledger_kafka_messages_consumed_total', 'counter', 'Kafka records processed and committed.', perTopic('consumed'));
    family('ledger_kafka_events_accepted_total', 'counter', 'Usage events the ledger recorded.', perTopic('accepted'));
    family('ledger_kafka_events_duplicate_total', 'counter', 'Usage events already recorded (same source and id).', perTopic('duplicates'));
    family('ledger_kafka_events_dead_lettered_total', 'counter', 'Records sent to the dead-letter topic.', perTopic('deadLettered'));
    family('ledger_kafka_batches_total', 'counter', 'Batches processed and committed.', perTopic('batches'));
    family('ledger_kafka_batch_retries_total', 'counter', 'Batches left for a retry after a store or dead-letter failure.', [
      [{}, this.retries],
    ]);
    family('ledger_kafka_consumer_up', 'gauge', '1 while the consumer runs.', [[{}, this.up]]);
    family('ledger_kafka_consumer_restarts_total', 'counter', 'Consumers started again after a crash kafkajs did not survive.', [
      [{}, this.restarts],
    ]);
    if (lag)
      family(
        'ledger_kafka_consumer_lag',
        'gauge',
        'Records not yet committed by the group: high watermark minus committed offset.',
        lag.map((p) => [{ topic: p.topic, partition: p.partition }, p.lag]),
      );
    return out.join('\n') + '\n';
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
