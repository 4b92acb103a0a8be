// The metrics of one Nest application, on prom-client: any module adds gauges read at each scrape,
// counters and histograms; GET /metrics renders them all in the Prometheus text format 0.0.4.
// One prom-client Registry per application, never the global one: tests run several applications
// in one process, and each must show its own counters. Also the parts of GET /health a module adds.
import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Record<string, string | number>;
export type Sample = { labels?: Labels; value: number | bigint };

type Reading = number | bigint | Sample[];

/** A prom-client `collect` that sets the metric to what `read` gives; one whose source is down (the store) shows no sample rather than failing the scrape. */
function readAtScrape<M extends { reset(): void }>(
  read: () => Reading | Promise<Reading>,
  put: (m: M, labels: Labels, value: number) => void,
) {
  return async function (this: M): Promise<void> {
    this.reset();
    let v: Reading;
    try {
      v = await read();
    } catch {
      return;
    }
    if (typeof v === 'number' || typeof v === 'bigint') put(this, {}, Number(v));
    else for (const s of v) put(this, s.labels ?? {}, Number(s.value));
  };
}

/** One part of GET /health: whether it is well, and what it says of itself. */
export type HealthPart = { ok: boolean } & Record<string, unknown>;

@Injectable()
export class MetricsRegistry {
  /** The application's own prom-client registry: modules may add any prom-client metric to it. */
  readonly registry = new Registry();
  private readonly healthParts = new Map<string, () => HealthPart>();

  constructor() {
    // The process's CPU, memory (RSS, heap), event loop lag, GC and handles, under prom-client's names.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
  }

  /** A gauge read by `collect` at every scrape (one value, or samples with the labels of `labelNames`). */
  gauge(name: string, help: string, collect: () => Reading | Promise<Reading>, labelNames: string[] = []): void {
    this.remove(name);
    new Gauge({ name, help, labelNames, registers: [this.registry], collect: readAtScrape(collect, (g, labels, v) => g.set(labels, v)) });
  }

  /** A counter its owner counts in its own numbers (the Kafka consumer's), read by `collect` at every scrape. */
  counterFrom(name: string, help: string, collect: () => Reading | Promise<Reading>, labelNames: string[] = []): void {
    this.remove(name);
    new Counter({ name, help, labelNames, registers: [this.registry], collect: readAtScrape(collect, (c, labels, v) => c.inc(labels, v)) });
  }

  /** A counter this process increments (with the labels of `labelNames`, if any). */
  counter<L extends string = never>(name: string, help: string, labelNames: L[] = []): Counter<L> {
    this.remove(name);
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A histogram with its buckets (upper bounds, in the unit of its name). */
  histogram<L extends string = never>(name: string, help: string, buckets: number[], labelNames: L[] = []): Histogram<L> {
    this.remove(name);
    return new Histogram({ name, help, buckets, labelNames, registers: [this.registry] });
  }

  /** A part of GET /health (the Kafka consumer): `ok: false` makes the whole `degraded`. */
  addHealth(key: string, part: () => HealthPart): void {
    this.healthParts.set(key, part);
  }

  /** Every part of /health a module added, by key. */
  health(): Record<string, HealthPart> {
    return Object.fromEntries([...this.healthParts].map(([k, part]) => [k, part()]));
  }

  /** Forgets a metric (a module shutting down, or one registered again). */
  remove(name: string): void {
    this.registry.removeSingleMetric(name);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
