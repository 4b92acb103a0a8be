// A small HTTP client for the benchmarks (node:http, keep-alive) and the ledger service as a child process.
import { readFileSync } from 'fs';
import { ChildProcess, spawn } from 'child_process';
import { Agent, request } from 'http';
import { createServer } from 'net';
import { join } from 'path';

const ROOT = join(__dirname, '..', '..');

export const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** The admin key of every service a benchmark starts (LEDGER_ADMIN_KEY), sent with every call. */
export const BENCH_ADMIN_KEY = 'bench-admin-key-00000000000000000000000000000000';

export interface HttpAnswer {
  status: number;
  body: string;
}

export function call(
  port: number,
  method: string,
  path: string,
  body?: string,
  contentType = 'application/json',
  key = BENCH_ADMIN_KEY,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export async function callJson(port: number, method: string, path: string, body?: unknown): Promise<any> {
  const a = await call(port, method, path, body === undefined ? undefined : JSON.stringify(body));
  if (a.status >= 300) throw new Error(`${method} ${path}: ${a.status} ${a.body.slice(0, 500)}`);
  return a.body ? JSON.parse(a.body) : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Service {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `npm run ledger`'s entry point with `env` (inherits nothing of the store settings of this process). */
export async function startService(env: Record<string, string>, nodeArgs: string[] = []): Promise<Service> {
  const port = await freePort();
  const base = { ...process.env };
  for (const k of ['DATABASE_URL', 'LEDGER_STORE', 'LEDGER_DATA_DIR', 'KAFKA_BROKERS', 'LEDGER_SCHEMA']) delete base[k];
  const child = spawn(process.execPath, [...nodeArgs, '-r', './deploy/register.js', 'apps/ledger/src/main.ts'], {
    cwd: ROOT,
    // Access on, as in production, with the rate limit off: a benchmark is one very busy producer.
    env: { ...base, LEDGER_ADMIN_KEY: BENCH_ADMIN_KEY, LEDGER_RATE_LIMIT: '0', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c) => (output = (output + c).slice(-4000)));
  child.stderr!.on('data', (c) => (output = (output + c).slice(-4000)));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}): ${output}`);
    try {
      const a = await call(port, 'GET', '/v1/simulation/clock');
      if (a.status < 500) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`the service did not answer on ${port}: ${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 15_000).unref();
      }),
  };
}

/** Peak resident set size of a process, from /proc (kB -> bytes); undefined when not on Linux. */
export function peakRss(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `worker` over items with at most `limit` at a time. */
export async function pool<T>(items: T[], limit: number, worker: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) await worker(items[i], i);
    }),
  );
}
