// The histograms of the path of usage, in one place so every way in measures the same way:
// an ingest batch (HTTP request or Kafka partition batch, validate to answer), the store's append
// (measured by its caller, the account writer) and how long after the ledger received a usage event
// its charge was committed to the log. Observed once per batch, except the lag: once per event,
// with nothing allocated beyond prom-client's own.
import { Injectable } from '@nestjs/common';
import { Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/** Which way a batch of usage came in. */
export type IngestSource = 'http' | 'kafka';

// Seconds. A batch of one event on PGlite takes about a millisecond, 5000 events a few hundred;
// beyond 10 s something is wrong, and "more than 10 s" says enough.
const BATCH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// An append is one transaction: sub-millisecond to tens of milliseconds, more when writers queue.
const APPEND_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
// From arrival to commit: milliseconds over HTTP; over Kafka the record's timestamp is the
// producer's (or the broker's), so consumer lag and clock skew show here too: up to minutes.
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

@Injectable()
export class LedgerMetrics {
  readonly ingestBatch: Histogram<'source'>;
  readonly storeAppend: Histogram;
  readonly eventToBalanceLag: Histogram;

  constructor(metrics: MetricsRegistry) {
    this.ingestBatch = metrics.histogram(
      'ledger_ingest_batch_duration_seconds',
      'Time to ingest one batch of usage events (validate, decide, append), by the way it came in.',
      BATCH_BUCKETS,
      ['source'],
    );
    this.storeAppend = metrics.histogram(
      'ledger_store_append_duration_seconds',
      'Time of one append of the account writer to the event store (one transaction, every stream of a batch).',
      APPEND_BUCKETS,
    );
    this.eventToBalanceLag = metrics.histogram(
      'ledger_event_to_balance_lag_seconds',
      'From when the ledger received a usage event (HTTP request arrival, or the Kafka record timestamp) to when its charge was committed to the log.',
      LAG_BUCKETS,
    );
  }
}
