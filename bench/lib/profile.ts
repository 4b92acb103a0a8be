// Reads V8 CPU profiles (node --cpu-prof) and says where the time went: the self time of each
// function summed, by function and by the part of the stack it belongs to (our code by module,
// the database engine, the drivers, the runtime), as shares of the profile's wall time.
import { existsSync, readdirSync, readFileSync } from 'fs';
import { fmt } from './report';
import { join } from 'path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  share: number;
}
export interface ProfileSummary {
  file: string;
  wallMs: number;
  parts: Share[];
  functions: Share[];
}

/** Where a frame belongs: the runtime's own entries, a package, or a module of ours. */
export function partOf(url: string, fn: string): string {
  if (fn === '(idle)') return 'idle';
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(program)') return 'V8 and native (program)';
  if (url === '' && fn !== '') return `native: ${fn}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) {
    if (pkg[1] === '@electric-sql/pglite')
      return /postgres|\.wasm|wasm-function/.test(url + fn) ? 'PGlite: PostgreSQL (WASM)' : 'PGlite: JavaScript';
    return `package: ${pkg[1]}`;
  }
  if (url.startsWith('node:')) return `Node: ${url.slice(5).split('/')[0]}`;
  if (url.startsWith('wasm://')) return 'PGlite: PostgreSQL (WASM)';
  const ours = /\/(libs|apps)\/([^/]+)\/src\/(?:([^/]+)\/)?/.exec(url);
  if (ours) return `ours: ${ours[1]}/${ours[2]}${ours[3] && !ours[3].includes('.') ? '/' + ours[3] : ''}`;
  return 'other';
}

/** Which samples count: all, or those of the last lastMs of the profile (a bench's final phase). */
export interface Window {
  lastMs?: number;
  /** Or from fromMs to toMs after the profile's start (about the process's start). */
  fromMs?: number;
  toMs?: number;
}

export function summarise(file: string, top = 15, window: Window = {}): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const from =
    window.lastMs !== undefined ? Math.max(p.startTime, p.endTime - window.lastMs * 1000) : p.startTime + (window.fromMs ?? 0) * 1000;
  const to = window.toMs !== undefined ? Math.min(p.endTime, p.startTime + window.toMs * 1000) : p.endTime;
  // The sample's delta is the time until the next one, so the time of sample i is timeDeltas[i + 1].
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i];
    if (at < from || at > to) continue;
    const dt = p.timeDeltas[i + 1] ?? 0;
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + dt);
  }
  const wallUs = to - from;
  const parts = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const part = partOf(url, functionName);
    parts.set(part, (parts.get(part) ?? 0) + us);
    const where = url ? `${url.replace(/^.*\/(node_modules|libs|apps)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ' ' + where : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const shares = (m: Map<string, number>) =>
    [...m].map(([name, us]) => ({ name, ms: us / 1000, share: us / wallUs })).sort((a, b) => b.ms - a.ms);
  return { file, wallMs: wallUs / 1000, parts: shares(parts), functions: shares(fns).slice(0, top) };
}

/** The profiles in dir, oldest first (one per process or thread a bench profiled); none when dir is missing. */
export function profilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => join(dir, f));
}

/** A profile's figures per event: CPU busy on its thread (start-up compile left out), and each part's. */
export interface ProfileFigures {
  what: string;
  events: number;
  wallMs: number;
  /** CPU per event on the thread, without idle time and without the TypeScript compile of the start-up. */
  busyUs: number;
  busyShare: number;
  parts: { name: string; us: number; share: number }[];
  functions: { name: string; share: number }[];
}

const STARTUP = 'package: typescript';

export function profileFigures(what: string, file: string, events: number, window: Window = {}): ProfileFigures {
  const s = summarise(file, 7, window);
  const work = s.parts.filter((p) => p.name !== 'idle' && p.name !== STARTUP);
  const busyMs = work.reduce((sum, p) => sum + p.ms, 0);
  return {
    what,
    events,
    wallMs: s.wallMs,
    busyUs: (busyMs * 1000) / events,
    busyShare: busyMs / s.wallMs,
    parts: s.parts.map((p) => ({ name: p.name, us: (p.ms * 1000) / events, share: p.share })),
    functions: s.functions.filter((f) => f.name !== '(idle)').map((f) => ({ name: f.name, share: f.share })),
  };
}

/**
 * A note for RESULTS.md: where `what`'s time went in this run, per event: the CPU of each part
 * (self time of its functions) divided by the events, the parts of 3 % or more of the window, and
 * the busiest functions. Sampling (node --cpu-prof, 1 ms) costs the measured process a few %.
 */
export function profileNote(f: ProfileFigures, unit = 'usage event'): string {
  const us = (x: number) => `${fmt(x, 1)} µs`;
  const shown = f.parts.filter((p) => p.share >= 0.03);
  const rest = f.parts.filter((p) => p.share < 0.03 && p.name !== 'idle').reduce((sum, p) => sum + p.us, 0);
  const compile = f.parts.find((p) => p.name === STARTUP);
  return (
    `Profile of ${f.what} (node --cpu-prof, ${fmt(f.wallMs / 1000, 1)} s, ${fmt(f.events)} ${unit}s): ` +
    `${us(f.busyUs)} of CPU per ${unit} on this thread, busy ${fmt(f.busyShare * 100)} % of the time` +
    `${compile && compile.share >= 0.01 ? ` (leaving out the start-up's TypeScript compile, ${fmt(compile.share * 100)} %)` : ''}. ` +
    `Per ${unit}: ${shown.map((p) => `${p.name} ${us(p.us)} (${fmt(p.share * 100)} %)`).join(', ')}; the rest ${us(rest)}. ` +
    `Busiest functions: ${f.functions.map((x) => `${x.name} ${fmt(x.share * 100, 1)} %`).join(', ')}.`
  );
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const last = args.find((a) => a.startsWith('--last-ms='));
  for (const f of args.filter((a) => !a.startsWith('--'))) {
    const s = summarise(f, 30, last ? { lastMs: Number(last.slice(10)) } : {});
    console.log(`${f}: ${s.wallMs.toFixed(0)} ms`);
    for (const p of s.parts.slice(0, 25)) console.log(`  ${(p.share * 100).toFixed(1).padStart(5)} %  ${p.name}`);
    console.log('  functions:');
    for (const p of s.functions) console.log(`  ${(p.share * 100).toFixed(1).padStart(5)} %  ${p.name}`);
  }
}
