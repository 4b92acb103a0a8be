// The section of RESULTS.md that holds each missed target against what this run measured: the
// CPU per event the target leaves on this machine's cores, what the ledger spent, and what the
// store alone does with the rows the ledger must keep. Every figure comes from the run's results.
import { cpus } from 'os';
import { BenchResult, fmt } from './report';
import { ProfileFigures } from './profile';

type Results = Record<string, BenchResult | undefined>;
/* eslint-disable @typescript-eslint/no-explicit-any -- the raw results are JSON the benches wrote */
type Raw = any;

const CORES = cpus().length;
const us = (x: number) => `${fmt(x, 1)} µs`;
const topParts = (f: ProfileFigures, n = 5) =>
  f.parts
    .filter((p) => p.name !== 'idle')
    .slice(0, n)
    .map((p) => `${p.name} ${us(p.us)}`)
    .join(', ');

function appendSides(r: Results): Record<string, number> {
  const sides = (r['store-append']?.raw as Raw)?.sides ?? {};
  return Object.fromEntries(Object.entries(sides).map(([k, v]) => [k, (v as Raw).eventsPerSecond as number]));
}

function kafka(r: Results, sides: Record<string, number>): string[] {
  const k = r['kafka-e2e']?.raw as Raw;
  if (!k?.cpuPerEventUs) return [];
  const target = k.rawRate / 2;
  if (k.ingestRate >= target) return [];
  const c = k.cpuPerEventUs;
  const total = c.ingestor + (c.projector ?? 0) + c.postgres + c.broker;
  const port = sides['port on PostgreSQL'];
  const rows = sides['raw INSERT, jsonb (PostgreSQL)'];
  const drain = (k.profiles as ProfileFigures[] | undefined)?.[0];
  const lines = [
    `- **Kafka end to end** (target ${fmt(target)} events/s, half the raw INSERT consumer's ${fmt(k.rawRate)}): on ${CORES} cores that leaves ${us((CORES * 1e6) / target)} of CPU per usage event for the ingestor, the projector, PostgreSQL and the broker together. This run spent ${us(total)} (ingestor ${us(c.ingestor)}, projector ${us(c.projector ?? 0)}, PostgreSQL ${us(c.postgres)}, broker ${us(c.broker)}): with no core ever idle it would top out at ${fmt((CORES * 1e6) / total)} events/s, ${fmt(((CORES * 1e6) / total / target) * 100)} % of the target.`,
  ];
  if (port && rows)
    lines.push(
      `  The store alone, in benchmark 2 on the same PostgreSQL: the append of the ledger's events (the log rows with their chain, the dedupe keys, the stream versions; no Kafka, no validation, no projection) ${fmt(port)} events/s, a raw INSERT of the same event rows ${fmt(rows)} events/s${port < target ? `: the append alone is ${fmt((port / target) * 100)} % of the target, before anything else the ledger does` : ''}.`,
    );
  if (drain) lines.push(`  The ingestor's thread per usage event while it drained (its profile, benchmark 1): ${topParts(drain, 6)}.`);
  return lines;
}

function latency(r: Results): string[] {
  const k = r['kafka-e2e']?.raw as Raw;
  if (!k?.latency || k.latency.p99 < 250) return [];
  const during = (k.profiles as ProfileFigures[] | undefined)?.[1];
  const noPm = k.noProcessManagers?.latency;
  return [
    `- **Latency**: p99 ${fmt(k.latency.p99)} ms at ${fmt(k.latency.offeredRate)} events/s offered (half the sustained rate)${noPm ? `; the ingestor without its process managers at the same load: p99 ${fmt(noPm.p99)} ms` : ''}.` +
      (during
        ? ` During the run the ingestor's thread was busy ${fmt(during.busyShare * 100)} % of the time, ${us(during.busyUs)} per usage event (${topParts(during, 5)}). The ingestor works one Kafka fetch at a time (the records of all its partitions, appended together), so a record that arrives meanwhile waits for the next fetch; the process managers' batches run on the same thread.`
        : ''),
  ];
}

function http(r: Results, sides: Record<string, number>): string[] {
  const h = r['http-ingest']?.raw as Raw;
  if (!h?.rawRate) return [];
  const target = h.rawRate / 2;
  if (h.httpRate >= target) return [];
  const port = sides['port on PGlite'];
  const rows = sides['raw INSERT, jsonb (PGlite)'];
  const p = h.profile as ProfileFigures | undefined;
  return [
    `- **HTTP ingest on PGlite** (target ${fmt(target)} events/s, half the raw PGlite INSERT's ${fmt(h.rawRate)}): PGlite runs PostgreSQL on the service's own thread, so everything shares one core: ${us(1e6 / target)} per usage event.` +
      (p
        ? ` The service spent ${us(p.busyUs)} per usage event on that thread (busy ${fmt(p.busyShare * 100)} %): ${topParts(p, 6)}; at most ${fmt(1e6 / p.busyUs)} events/s on one thread, ${fmt((1e6 / p.busyUs / target) * 100)} % of the target.`
        : '') +
      (port && rows
        ? ` The store alone on PGlite (benchmark 2): the append of the ledger's events ${fmt(port)} events/s, a raw INSERT of the same event rows ${fmt(rows)} events/s${rows < target ? ': even the raw rows of the events the ledger keeps are below the target' : ''}.`
        : ''),
  ];
}

function replay(r: Results): string[] {
  const x = r.replay?.raw as Raw;
  if (!x?.rebuilds) return [];
  return (x.rebuilds as Raw[]).flatMap((b) => {
    // bench/replay-run.ts sets each rebuild's target (the lower of its fixed one and half the bare read).
    const bare = x.bareRates?.[b.store];
    const fixed = b.fixedTarget as number;
    const target = b.target as number;
    if (b.eventsPerSecond >= target) return [];
    const threads = ((x.profiles ?? []) as (ProfileFigures & { store: string; thread: string })[]).filter((p) => p.store === b.store);
    const main = threads.find((t) => t.thread === 'main');
    const fold = threads.find((t) => t.thread === 'fold');
    const name = b.store === 'pglite' ? 'PGlite' : 'PostgreSQL';
    let line = `- **Replay, ${name}** (target ${fmt(target)} events/s: the lower of ${fmt(fixed)} and half the bare read's ${bare ? fmt(bare) : '–'}): ${fmt(b.eventsPerSecond)} events/s.`;
    if (main && fold) {
      // PostgreSQL's own work runs on the same 2 cores; PGlite's is inside the main thread.
      const server = b.store === 'postgres' ? (b.postgresUs as number | undefined) : 0;
      const pipe = 1e6 / Math.max(main.busyUs, fold.busyUs);
      const both = (CORES * 1e6) / (main.busyUs + fold.busyUs + (server ?? 0));
      const serverText =
        b.store !== 'postgres'
          ? ''
          : server === undefined
            ? ", PostgreSQL's own work besides (not measured)"
            : `, PostgreSQL's own work ${us(server)} (from /proc)`;
      line += ` Per log event, the main thread (reading, the statements${b.store === 'pglite' ? ", and PGlite's engine" : ''}) ${us(main.busyUs)}, the fold thread ${us(fold.busyUs)}${serverText}. Two threads in a pipeline go no faster than the busier: ${fmt(pipe)} events/s; on ${CORES} cores, with no core ever idle, all of it${server === undefined ? ' (PostgreSQL left out)' : ''} at most ${fmt(both)} events/s. The lower of the two is ${fmt((Math.min(pipe, both) / target) * 100)} % of the target. The fold thread: ${topParts(fold, 4)}. The main thread: ${topParts(main, 4)}.`;
    }
    return [line];
  });
}

export function ceilingLines(r: Results): string[] {
  const sides = appendSides(r);
  const body = [...kafka(r, sides), ...latency(r), ...http(r, sides), ...replay(r)];
  if (!body.length) return [];
  return [
    '## The missed targets against this run',
    '',
    `Each target as CPU per event on this machine's ${CORES} cores, against what the ledger spent in this run (from /proc for the Kafka processes, from the CPU profiles otherwise: self time of every function, idle and the start-up's TypeScript compile left out, divided by the events), and against what the store alone did with the rows the ledger must keep (benchmark 2). The ceilings are of the work this tree does per event: less work per event would lift them.`,
    '',
    ...body,
    '',
  ];
}
