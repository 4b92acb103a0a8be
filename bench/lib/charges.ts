// The appends the ledger makes for a workload, computed without a store: the same parse,
// decide and encode as AccountLedger, batch by batch, so every side of the store benchmark gets
// exactly the rows the ledger would write (charges with their dedupe keys, in account streams).
import { AccountState, decideInPlace, encodeAccountEventData, initialAccountState } from '@ledger/domain';
import { StreamAppend } from '@ledger/event-store';
import { LedgerItem } from '@ledger/service/accounts/ledger-item';
import { accountStream } from '@ledger/domain';
import { DEFAULT_BOOK } from '@ledger/domain';
import { parseUsageEvent } from '@ledger/service/usage/usage-event';
import { openingCommands } from './ledger';
import { AccountSpec, CLOCK_AT, UsageEvent } from './workload';

interface Writer {
  state: AccountState;
  version: number;
}

export class LedgerSimulator {
  private readonly writers = new Map<string, Writer>();
  private readonly seen = new Set<string>();

  private writer(accountId: string): Writer {
    let w = this.writers.get(accountId);
    if (!w) this.writers.set(accountId, (w = { state: initialAccountState(), version: 0 }));
    return w;
  }

  /** One batch of ledger items -> the appends AccountLedger.attempt would make. */
  appendsOf(items: LedgerItem[]): StreamAppend[] {
    const byAccount = new Map<string, LedgerItem[]>();
    for (const item of items) {
      if (item.dedupe) {
        if (this.seen.has(item.dedupe.key)) continue; // a duplicate: nothing appended
        this.seen.add(item.dedupe.key);
      }
      const list = byAccount.get(item.accountId);
      if (list) list.push(item);
      else byAccount.set(item.accountId, [item]);
    }
    const appends: StreamAppend[] = [];
    for (const [accountId, list] of byAccount) {
      const w = this.writer(accountId);
      const append: StreamAppend = { streamId: accountStream(accountId), expectedVersion: w.version, events: [], dedupe: [] };
      for (const item of list) {
        const out = decideInPlace(item.command, w.state, { book: DEFAULT_BOOK });
        for (const e of out.events) append.events.push({ type: e.type, data: encodeAccountEventData(e), metadata: item.provenance ?? {} });
        if (!out.rejection && item.dedupe) append.dedupe!.push(item.dedupe);
      }
      if (append.events.length || append.dedupe!.length) {
        w.version += append.events.length;
        appends.push(append);
      }
    }
    return appends;
  }

  /** The appends that open these accounts (batches of `perBatch` accounts). */
  *openings(specs: Iterable<AccountSpec>, perBatch = 1000): Generator<StreamAppend[]> {
    let items: LedgerItem[] = [];
    let n = 0;
    for (const a of specs) {
      items.push(...openingCommands(a));
      if (++n % perBatch === 0) {
        yield this.appendsOf(items);
        items = [];
      }
    }
    if (items.length) yield this.appendsOf(items);
  }

  /** Usage events -> ledger items, as UsageIngest parses them (provenance as the Kafka ingestor writes it). */
  static items(events: UsageEvent[], firstOffset: number): LedgerItem[] {
    const out: LedgerItem[] = [];
    events.forEach((e, i) => {
      const p = parseUsageEvent(JSON.stringify(e), CLOCK_AT, {
        via: 'kafka',
        topic: 'usage.renders',
        partition: 0,
        offset: String(firstOffset + i),
      });
      if (p.ok) out.push(p.item);
    });
    return out;
  }
}

export const eventCount = (batch: StreamAppend[]): number => batch.reduce((n, a) => n + a.events.length, 0);
