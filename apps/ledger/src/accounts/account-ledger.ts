// Load -> decide -> append for accounts, with optimistic concurrency and retry. Usage dedupe
// keys (source + id) are written in the same transaction as the events they caused.
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AccountCommand, AccountEvent, AccountState, decideInPlace, decodeAccountEvent, encodeAccountEventData, evolveInPlace,
  initialAccountState, Rejection,
} from '@ledger/domain';
import { DedupeKey, DuplicateKey, EVENT_STORE, EventStore, RecordedEvent, StreamAppend, WrongExpectedVersion } from '@ledger/event-store';
import { DeadlineSchedule } from '../process/deadline-schedule';
import { KeyedLock } from './keyed-lock';
import { LEDGER_CONFIG, LedgerConfig } from '../config/ledger-config';

export const accountStream = (accountId: string): string => `account-${accountId}`;
export const accountOfStream = (streamId: string): string | undefined =>
  streamId.startsWith('account-') ? streamId.slice('account-'.length) : undefined;

/** Where a command came from, stored with every event it caused (shown as an entry's provenance). */
export type Provenance = Record<string, unknown>;

export interface LedgerItem {
  accountId: string;
  command: AccountCommand;
  dedupe?: DedupeKey;
  provenance?: Provenance;
}

export type ItemOutcome =
  | { status: 'accepted'; events: AccountEvent[] }
  | { status: 'rejected'; rejection: Rejection }
  | { status: 'duplicate' }
  | { status: 'conflict' };

interface Loaded {
  state: AccountState;
  version: number;
}

const MAX_ATTEMPTS = 20;

/** A store that reads many streams in one round trip (the SQL store does); others load one by one. */
interface ReadsManyStreams {
  readStreams(streamIds: string[]): Promise<Map<string, Pick<RecordedEvent, 'type' | 'data'>[]>>;
}
const readsManyStreams = (store: EventStore): store is EventStore & ReadsManyStreams =>
  typeof (store as Partial<ReadsManyStreams>).readStreams === 'function';

@Injectable()
export class AccountLedger {
  private readonly log = new Logger('AccountLedger');
  /** Recently used account states; a stale one is caught by the expected version and refreshed. */
  private readonly cache = new Map<string, Loaded>();
  private readonly locks = new KeyedLock();
  // 20,000 by default: a cached state is a few KiB live, and V8 lets the heap grow to several
  // times what is live before it collects (bench/memory.ts: 50,000 states peaked above 1 GiB RSS
  // with a million accounts touched, 20,000 at about 770 MiB). Misses cost one query per batch.
  private readonly cacheLimit = Number(process.env.LEDGER_ACCOUNT_CACHE ?? 20_000);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
    private readonly schedule: DeadlineSchedule,
  ) {}

  /** The account's current state, folded from its whole stream (for reading; never cached). */
  async read(accountId: string): Promise<Loaded> {
    let state = initialAccountState();
    const recorded = await this.store.readStream(accountStream(accountId));
    for (const e of recorded) state = evolveInPlace(state, decodeAccountEvent(e.type, e.data));
    return { state, version: recorded.length };
  }

  /** Every event of an account, oldest first, with its metadata. */
  async history(accountId: string) {
    const recorded = await this.store.readStream(accountStream(accountId));
    return recorded.map((r) => ({ event: decodeAccountEvent(r.type, r.data), recorded: r }));
  }

  /** Decides and appends a batch of items in one transaction; retries on concurrent writers. */
  async submit(items: LedgerItem[]): Promise<ItemOutcome[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.locks.withKeys(items.map((i) => i.accountId), async () => {
          try {
            return await this.attempt(items);
          } catch (err) {
            // States were folded ahead of an append that did not happen: forget them.
            for (const item of items) this.cache.delete(item.accountId);
            throw err;
          }
        });
      } catch (err) {
        if (!(err instanceof WrongExpectedVersion || err instanceof DuplicateKey) || attempt >= MAX_ATTEMPTS) throw err;
        this.log.debug(`retrying after ${err.name}: ${err.message}`);
      }
    }
  }

  /** A writer's state: cached, or read once; a stale cache is caught by the expected version. */
  private async loadForWrite(accountId: string, preloaded?: Map<string, Loaded>): Promise<Loaded> {
    const cached = this.cache.get(accountId);
    if (cached) return cached;
    const loaded = preloaded?.get(accountId) ?? (await this.read(accountId));
    this.remember(accountId, loaded);
    return loaded;
  }

  /** The states of the accounts not in the cache, read in one round trip when the store can. */
  private async preload(accountIds: Iterable<string>): Promise<Map<string, Loaded> | undefined> {
    if (!readsManyStreams(this.store)) return undefined;
    const missing: string[] = [];
    for (const id of accountIds) if (!this.cache.has(id)) missing.push(id);
    if (missing.length < 2) return undefined;
    const streams = await this.store.readStreams(missing.map(accountStream));
    const out = new Map<string, Loaded>();
    for (const accountId of missing) {
      const recorded = streams.get(accountStream(accountId)) ?? [];
      let state = initialAccountState();
      for (const e of recorded) state = evolveInPlace(state, decodeAccountEvent(e.type, e.data));
      out.set(accountId, { state, version: recorded.length });
    }
    return out;
  }

  private async attempt(items: LedgerItem[]): Promise<ItemOutcome[]> {
    const outcomes: ItemOutcome[] = new Array(items.length);
    const keys = items.flatMap((i) => (i.dedupe ? [i.dedupe.key] : []));
    const known = keys.length ? await this.store.findDedupe(keys) : new Map();
    const seen = new Map<string, string>(); // key -> fingerprint, within this batch
    const byAccount = new Map<string, number[]>();
    items.forEach((item, i) => {
      const d = item.dedupe;
      if (d) {
        const prior = known.get(d.key)?.fingerprint ?? seen.get(d.key);
        if (prior !== undefined) {
          outcomes[i] = prior === d.fingerprint ? { status: 'duplicate' } : { status: 'conflict' };
          return;
        }
        seen.set(d.key, d.fingerprint);
      }
      const indexes = byAccount.get(item.accountId);
      if (indexes) indexes.push(i);
      else byAccount.set(item.accountId, [i]);
    });

    const appends: StreamAppend[] = [];
    const after = new Map<string, Loaded>();
    const preloaded = await this.preload(byAccount.keys());
    for (const [accountId, indexes] of byAccount) {
      const loaded = await this.loadForWrite(accountId, preloaded);
      const state = loaded.state;
      const append: StreamAppend = { streamId: accountStream(accountId), expectedVersion: loaded.version, events: [], dedupe: [] };
      for (const i of indexes) {
        const item = items[i];
        // The ledger owns `state` (it is dropped if the append fails): decide folds into it directly.
        const out = decideInPlace(item.command, state, { book: this.config.book });
        for (const e of out.events) append.events.push({ type: e.type, data: encodeAccountEventData(e), metadata: item.provenance ?? {} });
        if (out.rejection) {
          outcomes[i] = { status: 'rejected', rejection: out.rejection };
          continue;
        }
        if (item.dedupe) append.dedupe!.push(item.dedupe);
        outcomes[i] = { status: 'accepted', events: out.events };
      }
      if (append.events.length || append.dedupe!.length) {
        appends.push(append);
        after.set(accountId, { state, version: loaded.version + append.events.length });

      }
    }
    if (appends.length) await this.store.append(appends);
    for (const [accountId, loaded] of after) {
      this.remember(accountId, loaded);
      this.schedule.note(accountId, loaded.state);
    }
    return outcomes;
  }

  private remember(accountId: string, loaded: Loaded): void {
    this.cache.delete(accountId);
    this.cache.set(accountId, loaded);
    if (this.cache.size > this.cacheLimit) this.cache.delete(this.cache.keys().next().value!);
  }
}
