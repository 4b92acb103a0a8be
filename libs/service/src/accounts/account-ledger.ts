// Load -> decide -> append for accounts, with optimistic concurrency and retry. Usage dedupe
// keys (source + id) are written in the same transaction as the events they caused.
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  accountStream,
  AccountState,
  decideInPlace,
  decodeAccountEvent,
  encodeAccountEventData,
  evolveInPlace,
  initialAccountState,
} from '@ledger/domain';
import { EVENT_STORE, EventStore, RecordedEvent, storeErrorKind, StreamAppend } from '@ledger/event-store';
import { ACCOUNTS_CONFIG, AccountsConfig } from './accounts-config';
import { KeyedLock } from './keyed-lock';
import { ItemOutcome, LedgerItem } from './ledger-item';

interface Loaded {
  state: AccountState;
  version: number;
}

const MAX_ATTEMPTS = 20;

/** An account's state and version from its stream's events, oldest first. */
function fold(recorded: Pick<RecordedEvent, 'type' | 'data'>[]): Loaded {
  let state = initialAccountState();
  for (const e of recorded) state = evolveInPlace(state, decodeAccountEvent(e.type, e.data));
  return { state, version: recorded.length };
}

@Injectable()
export class AccountLedger {
  private readonly log = new Logger('AccountLedger');
  /** Recently used account states; a stale one is caught by the expected version and refreshed. */
  private readonly cache = new Map<string, Loaded>();
  private readonly locks = new KeyedLock();
  /** Told after every append (the process managers wake at once rather than at their next poll). */
  private readonly appended = new Set<(accountIds: string[]) => void>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ACCOUNTS_CONFIG) private readonly config: AccountsConfig,
  ) {}

  /**
   * Registers a listener told which accounts this process just appended to; returns its removal.
   * Only a hint: another process's appends are not told, so nothing may rest on it.
   */
  onAppended(listener: (accountIds: string[]) => void): () => void {
    this.appended.add(listener);
    return () => this.appended.delete(listener);
  }

  /** The account's current state, folded from its whole stream (for reading; never cached). */
  async read(accountId: string): Promise<Loaded> {
    return fold(await this.store.readStream(accountStream(accountId)));
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
        return await this.locks.withKeys(
          items.map((i) => i.accountId),
          async () => {
            try {
              return await this.attempt(items);
            } catch (err) {
              // States were folded ahead of an append that did not happen: forget them.
              for (const item of items) this.cache.delete(item.accountId);
              throw err;
            }
          },
        );
      } catch (err) {
        // Only a concurrent writer is retried here; an unavailable store or a refused record is the caller's
        // (UsageIngest isolates a refused record; the HTTP edge answers 503 for an unavailable store).
        if (storeErrorKind(err) !== 'race' || attempt >= MAX_ATTEMPTS) throw err;
        this.log.debug(`retrying after ${(err as Error).name}`);
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

  /** The states of the accounts not in the cache, read in one round trip where the store can. */
  private async preload(accountIds: Iterable<string>): Promise<Map<string, Loaded> | undefined> {
    const missing: string[] = [];
    for (const id of accountIds) if (!this.cache.has(id)) missing.push(id);
    if (missing.length < 2) return undefined;
    const streams = await this.store.readStreams(missing.map(accountStream));
    const out = new Map<string, Loaded>();
    for (const accountId of missing) {
      out.set(accountId, fold(streams.get(accountStream(accountId)) ?? []));
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
    for (const [accountId, loaded] of after) this.remember(accountId, loaded);
    if (after.size > 0 && this.appended.size > 0) {
      const accountIds = [...after.keys()];
      for (const listener of this.appended) listener(accountIds);
    }
    return outcomes;
  }

  private remember(accountId: string, loaded: Loaded): void {
    this.cache.delete(accountId);
    this.cache.set(accountId, loaded);
    if (this.cache.size > this.config.cacheLimit) this.cache.delete(this.cache.keys().next().value!);
  }
}
