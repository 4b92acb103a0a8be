// A tiny metrics registry: any module adds gauges and counters (or a whole block of Prometheus
// text it renders itself), GET /metrics renders them all in the Prometheus text format 0.0.4.
import { Injectable } from '@nestjs/common';

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Record<string, string | number>;
export type Sample = { labels?: Labels; value: number | bigint };

interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
  /** Read at each scrape. */
  collect(): Sample[] | Promise<Sample[]>;
}

/** A counter this process increments; read at each scrape. */
export class Counter {
  private readonly values = new Map<string, { labels: Labels; value: number }>();

  inc(by = 1, labels: Labels = {}): void {
    const key = JSON.stringify(labels);
    const v = this.values.get(key);
    if (v) v.value += by;
    else this.values.set(key, { labels, value: by });
  }

  samples(): Sample[] {
    return this.values.size === 0 ? [{ value: 0 }] : [...this.values.values()].map((v) => ({ labels: v.labels, value: v.value }));
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** One part of GET /health: whether it is well, and what it says of itself. */
export type HealthPart = { ok: boolean } & Record<string, unknown>;

@Injectable()
export class MetricsRegistry {
  private readonly families = new Map<string, Family>();
  private readonly sources = new Map<string, () => string | Promise<string>>();
  private readonly healthParts = new Map<string, () => HealthPart>();

  /** A gauge read by `collect` at every scrape (one value, or samples with labels). */
  gauge(name: string, help: string, collect: () => number | bigint | Sample[] | Promise<number | bigint | Sample[]>): void {
    this.add({
      name,
      type: 'gauge',
      help,
      collect: async () => {
        const v = await collect();
        return typeof v === 'number' || typeof v === 'bigint' ? [{ value: v }] : v;
      },
    });
  }

  /** A counter; increment the returned handle. */
  counter(name: string, help: string): Counter {
    const c = new Counter();
    this.add({ name, type: 'counter', help, collect: () => c.samples() });
    return c;
  }

  /** A block of Prometheus text rendered by its owner (e.g. the Kafka ingest's own counters), under a unique key. */
  addSource(key: string, render: () => string | Promise<string>): void {
    this.sources.set(key, render);
  }

  /** A part of GET /health (the Kafka consumer): `ok: false` makes the whole `degraded`. */
  addHealth(key: string, part: () => HealthPart): void {
    this.healthParts.set(key, part);
  }

  /** Every part of /health a module added, by key. */
  health(): Record<string, HealthPart> {
    return Object.fromEntries([...this.healthParts].map(([k, part]) => [k, part()]));
  }

  /** Forgets a family or a source (a module shutting down). */
  remove(nameOrKey: string): void {
    this.families.delete(nameOrKey);
    this.sources.delete(nameOrKey);
  }

  async render(): Promise<string> {
    const out: string[] = [];
    for (const f of this.families.values()) {
      let samples: Sample[];
      try {
        samples = await f.collect();
      } catch {
        continue; // a gauge whose source is down (the store) is left out rather than failing the scrape
      }
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
      for (const s of samples) {
        const labels = Object.entries(s.labels ?? {});
        const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(',')}}` : '';
        out.push(`${f.name}${l} ${s.value.toString()}`);
      }
    }
    let text = out.length ? out.join('\n') + '\n' : '';
    for (const render of this.sources.values()) {
      try {
        const block = await render();
        text += block.endsWith('\n') || block === '' ? block : block + '\n';
      } catch {
        // one failing source must not hide the others
      }
    }
    return text;
  }

  private add(f: Family): void {
    if (!NAME.test(f.name)) throw new Error(`invalid metric name ${f.name}`);
    this.families.set(f.name, f);
  }
}
