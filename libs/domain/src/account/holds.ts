// Holds (api.md "Holds"): credits reserved for a render or session before it runs. A hold is
// open from its placement until it is captured, released or expired, and never past its
// `expiresAt` (decided by time, like a lot's expiry: whether or not the expiry is recorded yet).
import { WalletId } from '../catalog/catalog';
import { MicroCredits } from '../credits/credits';
import { Instant } from '../time/instant';
import { lotClosesAt } from './lots';
import { AccountState, Hold, lotRemaining } from './state';

/** A hold's id names its account, so that `POST /v1/holds/{holdId}/release` needs nothing else. */
export const holdIdOf = (accountId: string, n: number): string => `h${n}.${accountId}`;
export const accountOfHoldId = (holdId: string): string | undefined => {
  const dot = holdId.indexOf('.');
  return dot > 0 && /^h[0-9]+$/.test(holdId.slice(0, dot)) ? holdId.slice(dot + 1) : undefined;
};

export const holdOpenAt = (h: Hold, at: Instant): boolean =>
  h.placedAt <= at && at < h.expiresAt && (h.endedAt === undefined || at < h.endedAt);

/** The credits of a wallet held at `at` (`except` a hold being captured: its usage may use them). */
export function heldAt(s: AccountState, wallet: WalletId, at: Instant, except?: string): MicroCredits {
  let held = 0n;
  for (const h of s.holds) if (h.wallet === wallet && h.holdId !== except && holdOpenAt(h, at)) held += h.credits;
  return held;
}

/** The open hold of a job or session on a wallet, if any (recorded as held). */
export const openHoldOfKey = (s: AccountState, wallet: WalletId | undefined, holdKey: string): Hold | undefined =>
  s.holds.find((h) => h.holdKey === holdKey && h.status === 'held' && (wallet === undefined || h.wallet === wallet));

/**
 * What a hold placed at `at` and open until `until` may reserve: the credits of the lots
 * spendable at `at` that stay spendable until `until`, less what other holds hold at `at`.
 * A lot expiring under the hold does not count: its credits would vanish under the reservation.
 */
export function reservableAt(s: AccountState, wallet: WalletId, at: Instant, until: Instant): MicroCredits {
  let spendable = 0n;
  for (const lot of s.wallets[wallet].lots) {
    if (lot.issuedAt <= at && at < lotClosesAt(lot) && lotClosesAt(lot) >= until) spendable += lotRemaining(lot);
  }
  const left = spendable - heldAt(s, wallet, at);
  return left > 0n ? left : 0n;
}
