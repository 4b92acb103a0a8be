// The account writer's view of the event store: the same store, with each append timed
// (ledger_store_append_duration_seconds) and in a span (`ledger.append`), measured here at the
// caller so the store adapters stay as they are. Reads pass straight through.
import { SpanKind } from '@opentelemetry/api';
import { EventStore, StreamAppend } from '@ledger/event-store';
import { LedgerMetrics } from '../kit/ledger-metrics';
import { inSpan, Tracing } from '../kit/tracing';

export function measuredAppends(store: EventStore, metrics: LedgerMetrics, tracing: Tracing): EventStore {
  const append = async (appends: StreamAppend[]) => {
    const done = metrics.storeAppend.startTimer();
    try {
      const attributes = { 'ledger.append.streams': appends.length, 'db.operation.name': 'append' };
      return await inSpan(tracing, 'ledger.append', { kind: SpanKind.CLIENT, attributes }, () => store.append(appends));
    } finally {
      done();
    }
  };
  type Method = (...args: unknown[]) => unknown;
  const bound = new Map<PropertyKey, { method: Method; bound: Method }>();
  return new Proxy(store, {
    get(target, name) {
      if (name === 'append') return append;
      const value: unknown = Reflect.get(target, name, target);
      if (typeof value !== 'function') return value;
      // Methods run on the store itself (its private fields), bound once each; again if the store's method was replaced (a spy).
      const known = bound.get(name);
      if (known?.method === value) return known.bound;
      const fresh = { method: value as Method, bound: (value as Method).bind(target) };
      bound.set(name, fresh);
      return fresh.bound;
    },
  });
}
