// Wraps a SqlClient to total the time spent in each statement (by its first words), for
// `rebuild-once.ts --timing`: where a rebuild's database time goes.
import { SqlClient, SqlExecutor } from '@ledger/event-store';

export interface TimedClient extends SqlClient {
  report(): string;
}

export function timedClient(db: SqlClient): TimedClient {
  const totals = new Map<string, { ms: number; calls: number }>();
  const label = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 70);
  const wrap = (exec: SqlExecutor): SqlExecutor => ({
    query: async <R>(text: string, params?: unknown[]) => {
      const started = process.hrtime.bigint();
      try {
        return await exec.query<R>(text, params);
      } finally {
        const t = totals.get(label(text)) ?? { ms: 0, calls: 0 };
        t.ms += Number(process.hrtime.bigint() - started) / 1e6;
        t.calls++;
        totals.set(label(text), t);
      }
    },
  });
  const plain = wrap(db);
  return {
    concurrent: db.concurrent,
    query: plain.query,
    transaction: (fn, options) => db.transaction((tx) => fn(wrap(tx)), options),
    close: () => db.close(),
    report: () =>
      [...totals]
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, 15)
        .map(([k, t]) => `${t.ms.toFixed(0).padStart(8)} ms ${String(t.calls).padStart(5)}x  ${k}`)
        .join('\n'),
  };
}
