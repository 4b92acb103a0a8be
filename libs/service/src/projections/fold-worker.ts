// A worker thread that turns pages of the log into prepared batches (parse, fold, statement
// parameters) while the main thread talks to the database. With PGlite the database runs on the
// main thread itself: this moves the rest of a rebuild's work to the second core.
//
// Messages in order: { page: RawPage }..., { seal: UsageWatermark } -> one Sealed reply per seal.
import { parentPort, workerData } from 'worker_threads';
import { PreparedBatch, prepareFinanceBatch, UsageWatermark } from './batch-writer';
import { FinanceBatch } from './finance-batch';
import { parsePage, RawPage } from './log-reader';

export type FoldRequest = { page: RawPage } | { seal: UsageWatermark } | { close: true };
export type Sealed = { prepared: PreparedBatch; events: number; first: string; last: string } | { error: string };

if (parentPort && workerData?.foldWorker) {
  const port = parentPort;
  const schema: string = workerData.schema;
  let batch = new FinanceBatch();
  let failed: string | undefined;
  port.on('message', (m: FoldRequest) => {
    try {
      // Ending on its own (no handle left) rather than by terminate() lets node --cpu-prof write this thread's profile.
      if ('close' in m) return port.close();
      if ('page' in m) {
        if (failed) return;
        for (const e of parsePage(m.page)) batch.add(e);
        return;
      }
      if (failed) throw new Error(failed);
      const reply: Sealed = {
        prepared: prepareFinanceBatch(schema, batch, m.seal),
        events: batch.events,
        first: String(batch.first ?? ''),
        last: String(batch.last ?? ''),
      };
      batch = new FinanceBatch();
      port.postMessage(reply);
    } catch (err) {
      failed ??= (err as Error).stack ?? String(err);
      if ('seal' in m) port.postMessage({ error: failed } satisfies Sealed);
    }
  });
}
