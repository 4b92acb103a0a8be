// The main thread's side of fold-worker.ts: post pages, ask for sealed batches, in order.
import { join } from 'path';
import { Worker } from 'worker_threads';
import { UsageWatermark } from './batch-writer';
import type { FoldRequest, Sealed } from './fold-worker';
import { RawPage } from './log-reader';

export class FoldThread {
  private readonly worker: Worker;
  private readonly waiting: { resolve(s: Exclude<Sealed, { error: string }>): void; reject(err: Error): void }[] = [];
  private failure?: Error;
  private readonly exited: Promise<void>;

  constructor(schema: string) {
    // From TypeScript sources (ts-node, jest) the worker loads them the same way: deploy/register.js.
    const ts = __filename.endsWith('.ts');
    this.worker = new Worker(join(__dirname, `fold-worker.${ts ? 'ts' : 'js'}`), {
      workerData: { foldWorker: true, schema },
      // The process's profiling flags too (node --cpu-prof profiles each thread it is given to).
      execArgv: [
        ...process.execArgv.filter((a) => a.startsWith('--cpu-prof')),
        ...(ts ? ['-r', join(__dirname, '..', '..', '..', '..', 'deploy', 'register.js')] : []),
      ],
    });
    this.worker.on('message', (m: Sealed) => {
      const w = this.waiting.shift();
      if (!w) return;
      if ('error' in m) w.reject(new Error(`fold worker: ${m.error}`));
      else w.resolve(m);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.exited = new Promise((resolve) =>
      this.worker.on('exit', (code) => {
        this.fail(new Error(`fold worker exited (${code})`));
        resolve();
      }),
    );
  }

  post(page: RawPage): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage({ page } satisfies FoldRequest);
  }

  /** The batch of every page posted since the last seal, prepared against `watermark`. */
  seal(watermark: UsageWatermark): Promise<Exclude<Sealed, { error: string }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage({ seal: watermark } satisfies FoldRequest);
    });
  }

  /** Asks the worker to end on its own, and stops it after a second if it has not. */
  async close(): Promise<void> {
    this.failure ??= new Error('fold worker closed');
    this.worker.postMessage({ close: true } satisfies FoldRequest);
    const timer = setTimeout(() => void this.worker.terminate(), 1000);
    await this.exited;
    clearTimeout(timer);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}
