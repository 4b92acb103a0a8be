// Placing and releasing holds, and listing them: through AccountLedger.submit, whose per-account
// lock and expected-version retry make concurrent holds reserve each credit once.
import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { accountOfHoldId, AccountCommand, foldAccount, formatCredits, Hold, HoldRequest, HoldStatus, Instant } from '@ledger/domain';
import { AccountLedger } from '../accounts/account-ledger';
import { CLOCK, Clock } from '../kit/clock';
import { Failure, ok, rejectionFailure, Result, unknownAccount } from '../kit/failure';
import { HOLDS_CONFIG, HoldsConfig } from './holds-config';

export class PlaceHold {
  constructor(
    readonly accountId: string,
    readonly holdKey: string,
    readonly request: Omit<HoldRequest, 'ttlMs'> & { ttlMs?: number },
  ) {}
}
export class ReleaseHold {
  constructor(readonly holdId: string) {}
}
export class ListHolds {
  constructor(
    readonly accountId: string,
    readonly status?: HoldStatus,
  ) {}
}

/** A hold as api.md shows it; one past `expiresAt` is expired by time, recorded or not yet. */
export const holdView = (accountId: string, h: Hold, now: Instant) => ({
  holdId: h.holdId,
  accountId,
  wallet: h.wallet,
  holdKey: h.holdKey,
  credits: formatCredits(h.credits),
  status: h.status === 'held' && now >= h.expiresAt ? 'expired' : h.status,
  placedAt: h.placedAt,
  expiresAt: h.expiresAt,
  ...(h.endedAt ? { endedAt: h.endedAt } : {}),
  ...(h.usage ? { usage: { source: h.usage.source, id: h.usage.id } } : {}),
});
export type HoldView = ReturnType<typeof holdView>;

const holdNotFound = (holdId: string): Failure => ({
  error: 'hold_not_found',
  message: `no hold ${holdId}`,
  details: [{ field: 'holdId', message: 'no such hold' }],
});

abstract class HoldCommandHandler {
  constructor(
    protected readonly ledger: AccountLedger,
    @Inject(CLOCK) protected readonly clock: Clock,
  ) {}

  /** Submits one command; the account's hold afterwards (`find`), and whether this command recorded it. */
  protected async submit(
    accountId: string,
    command: AccountCommand,
    find: (holds: Hold[]) => Hold | undefined,
  ): Promise<Result<{ created: boolean; hold: HoldView }>> {
    const [outcome] = await this.ledger.submit([{ accountId, command, provenance: { via: 'http', command: command.type } }]);
    if (outcome.status === 'rejected') {
      return {
        ok: false,
        failure: outcome.rejection.error === 'account_not_found' ? unknownAccount(accountId) : rejectionFailure(outcome.rejection),
      };
    }
    if (outcome.status !== 'accepted') throw new Error(`unexpected outcome ${outcome.status}`);
    const changed = outcome.events.some((e) => e.type === 'HoldPlaced' || e.type === 'HoldReleased');
    // A hold just placed is all in its event; otherwise the account's holds as they stand now.
    const placed = outcome.events.find((e) => e.type === 'HoldPlaced');
    const hold = placed ? find(foldAccount([placed]).holds) : find((await this.ledger.read(accountId)).state.holds);
    if (!hold) throw new Error(`hold of ${command.type} not on account ${accountId}`);
    return ok({ created: changed, hold: holdView(accountId, hold, this.clock.now()) });
  }
}

@CommandHandler(PlaceHold)
export class PlaceHoldHandler extends HoldCommandHandler implements ICommandHandler<PlaceHold> {
  constructor(
    ledger: AccountLedger,
    @Inject(CLOCK) clock: Clock,
    @Inject(HOLDS_CONFIG) private readonly config: HoldsConfig,
  ) {
    super(ledger, clock);
  }
  execute(c: PlaceHold) {
    const request: HoldRequest = { ...c.request, ttlMs: c.request.ttlMs ?? this.config.defaultTtlMs };
    return this.submit(c.accountId, { type: 'PlaceHold', holdKey: c.holdKey, request, now: this.clock.now() }, (holds) =>
      holds.find((h) => h.holdKey === c.holdKey),
    );
  }
}

@CommandHandler(ReleaseHold)
export class ReleaseHoldHandler extends HoldCommandHandler implements ICommandHandler<ReleaseHold> {
  async execute(c: ReleaseHold) {
    const accountId = accountOfHoldId(c.holdId);
    if (!accountId) return { ok: false as const, failure: holdNotFound(c.holdId) };
    const r = await this.submit(accountId, { type: 'ReleaseHold', holdId: c.holdId, now: this.clock.now() }, (holds) =>
      holds.find((h) => h.holdId === c.holdId),
    );
    return !r.ok && r.failure.error === 'account_not_found' ? { ok: false as const, failure: holdNotFound(c.holdId) } : r;
  }
}

@QueryHandler(ListHolds)
export class ListHoldsHandler implements IQueryHandler<ListHolds> {
  constructor(
    private readonly ledger: AccountLedger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}
  async execute(q: ListHolds): Promise<Result<{ items: HoldView[] }>> {
    const { state, version } = await this.ledger.read(q.accountId);
    if (version === 0) return { ok: false, failure: unknownAccount(q.accountId) };
    const now = this.clock.now();
    const items = state.holds.map((h) => holdView(q.accountId, h, now)).filter((h) => !q.status || h.status === q.status);
    return ok({ items });
  }
}

export const HOLD_HANDLERS = [PlaceHoldHandler, ReleaseHoldHandler, ListHoldsHandler];
