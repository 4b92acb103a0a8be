// Which lots a usage record may draw from, and in which order (pricing.md section 3).
import { MicroCredits } from '../credits/credits';
import { Instant } from '../time/instant';
import { LotDraw } from './events';
import { Lot, Wallet } from './state';

/** The instant a lot stops being spendable: its expiry, or earlier when it was forfeited. */
export const lotClosesAt = (lot: Lot): Instant =>
  lot.closure?.kind === 'forfeit' && lot.closure.at < lot.expiresAt ? lot.closure.at : lot.expiresAt;

/**
 * What a usage record of instant `at` may still draw from a lot: everything not charged, if the
 * lot was spendable then. A lot whose expiry or forfeit is already recorded can still pay for
 * usage that happened before it closed; that draw shrinks the recorded closure (a correction).
 */
export const drawableAt = (lot: Lot, at: Instant): MicroCredits =>
  lot.issuedAt <= at && at < lotClosesAt(lot) ? lot.granted - lot.charged : 0n;

/** Lots spendable at `at`, in burn order: the one expiring first, then the oldest. */
export function spendableLots(w: Wallet, at: Instant): Lot[] {
  return w.lots
    .filter((lot) => drawableAt(lot, at) > 0n)
    .sort((a, b) =>
      a.expiresAt < b.expiresAt ? -1 : a.expiresAt > b.expiresAt ? 1 : a.issuedAt < b.issuedAt ? -1 : a.issuedAt > b.issuedAt ? 1 : 0,
    );
}

/** Draws `credits` from lots in burn order; returns the draws and what no lot could cover. */
export function burn(lots: Lot[], at: Instant, credits: MicroCredits): { draws: LotDraw[]; rest: MicroCredits } {
  const draws: LotDraw[] = [];
  let rest = credits;
  for (const lot of lots) {
    if (rest === 0n) break;
    const avail = drawableAt(lot, at);
    const take = avail < rest ? avail : rest;
    if (take > 0n) {
      draws.push({ lotId: lot.lotId, credits: take });
      rest -= take;
    }
  }
  return { draws, rest };
}
