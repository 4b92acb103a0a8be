// What every benchmark writes: rows of the RESULTS.md table, as JSON in bench/.work/results/.
import { mkdirSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';

export const WORK_DIR = join(__dirname, '..', '.work');
export const RESULTS_DIR = join(WORK_DIR, 'results');
/** Where this process writes its result (main.ts points the "before" runs elsewhere). */
const resultsDir = () => process.env.BENCH_RESULTS_DIR || RESULTS_DIR;

export interface ResultRow {
  /** What is measured. */
  what: string;
  workload: string;
  /** The figure measured, with its unit. */
  figure: string;
  /** What it is compared with, measured in the same run. */
  limit: string;
  /** figure / limit (or the target it is held against), with the target. */
  ratio: string;
  /** The command that reruns this benchmark alone. */
  command: string;
  /** Met / missed, against the target of issue 6. */
  verdict: 'met' | 'missed' | 'n/a';
}

export interface BenchResult {
  bench: string;
  rows: ResultRow[];
  /** Free text: profile findings, before/after, caveats. */
  notes: string[];
  /** Raw numbers, for whoever wants them. */
  raw: Record<string, unknown>;
}

export function writeResult(r: BenchResult): void {
  mkdirSync(resultsDir(), { recursive: true });
  writeFileSync(
    join(resultsDir(), `${r.bench}.json`),
    JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2),
  );
}

export function readResult(bench: string, dir = RESULTS_DIR): BenchResult | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, `${bench}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}

export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const perSecond = (n: number, ms: number): number => (n * 1000) / ms;
export const pct = (x: number): string => `${fmt(x * 100, 0)} %`;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const now = (): number => performance.now();

export function log(bench: string, message: string): void {
  process.stderr.write(`[bench ${bench}] ${message}\n`);
}

/** Environment as integers with defaults: `BENCH_EVENTS=200000`. */
export function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number, got ${v}`);
  return Math.floor(n);
}
