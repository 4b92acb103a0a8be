// Balances as they stood at an instant, from history alone. Expiry is decided by time here:
// a lot past its expiry is unspendable whether or not its expiry is recorded yet.
import { PlanId, WalletId, WALLETS } from '../catalog/catalog';
import { MicroCredits, sumCredits } from '../credits/credits';
import { Instant } from '../time/instant';
import { AccountEvent, eventTime } from './events';
import { heldAt } from './holds';
import { lotClosesAt } from './lots';
import { AccountState, foldAccount, lotRemaining, periodAt } from './state';

export interface LotBalance {
  lotId: string;
  periodId: string;
  granted: MicroCredits;
  remaining: MicroCredits;
  charged: MicroCredits;
  issuedAt: Instant;
  expiresAt: Instant;
}

export interface WalletBalance {
  wallet: WalletId;
  plan: PlanId | null;
  periodId: string | null;
  /** What is spendable less what is held (never below zero). */
  available: MicroCredits;
  /** Credits reserved by open holds. */
  held: MicroCredits;
  /** Overage accrued in the current period, not invoiced yet. */
  overage: MicroCredits;
  /** Usage no credit covered, all time (arrears). */
  uncovered: MicroCredits;
  exhausted: boolean;
  lots: LotBalance[];
}

export interface AccountBalance {
  accountId: string;
  asOf: Instant;
  wallets: Record<WalletId, WalletBalance>;
}

/** Folds the events that happened by `asOf` (event time) and reads the balance at `asOf`. */
export function balanceAt(accountId: string, events: readonly AccountEvent[], asOf: Instant): AccountBalance {
  return balanceOf(accountId, foldAccount(events.filter((e) => eventTime(e) <= asOf)), asOf);
}

export function balanceOf(accountId: string, s: AccountState, asOf: Instant): AccountBalance {
  const wallets = {} as Record<WalletId, WalletBalance>;
  for (const wallet of WALLETS) {
    const w = s.wallets[wallet];
    const lots = w.lots
      .filter((lot) => lot.issuedAt <= asOf && asOf < lotClosesAt(lot))
      .map((lot) => ({
        lotId: lot.lotId,
        periodId: lot.periodId,
        granted: lot.granted,
        remaining: lotRemaining(lot),
        charged: lot.charged,
        issuedAt: lot.issuedAt,
        expiresAt: lot.expiresAt,
      }));
    const p = periodAt(w, asOf);
    const held = heldAt(s, wallet, asOf);
    const spendable = sumCredits(lots.map((l) => l.remaining));
    wallets[wallet] = {
      wallet,
      plan: p?.terms.plan ?? null,
      periodId: p?.periodId ?? null,
      available: spendable > held ? spendable - held : 0n,
      held,
      overage: p ? sumCredits(Object.values(p.overageByKind) as MicroCredits[]) : 0n,
      uncovered: w.uncovered,
      exhausted: w.exhausted,
      lots,
    };
  }
  return { accountId, asOf, wallets };
}
