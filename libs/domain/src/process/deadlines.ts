// The deadline process manager, in the decider shape. Pure: no clock, no I/O.
//
// What can fall due on an account is an expiry (a lot not yet expired or forfeited with credits
// left), a period end (the running period of a wallet) or a hold's expiry (a hold still open). The manager keeps exactly that as its
// state (a compact summary folded from the account's events) and, when asked whether a deadline
// is due, answers with commands for the account decider: an `Advance` to the clock's instant.
// The account decider records what is due exactly once (a second Advance finds nothing due), so
// the manager may be asked as often as a runner likes.
//
// In the service the summary lives in SQL (apps/ledger/src/process/deadline-projection.ts keeps
// the same fold set-based, and its `deadlines` row is `dueAt` below); this module is the
// reference the projection is tested against.
import { WalletId } from '../catalog/catalog';
import { MicroCredits } from '../credits/credits';
import { AccountCommand } from '../account/commands';
import { AccountEvent } from '../account/events';
import { Instant } from '../time/instant';

export interface DeadlineSummary {
  /** Lots not yet expired or forfeited that still hold credits, by lot id. */
  lots: Record<string, { wallet: WalletId; expiresAt: Instant; remaining: MicroCredits }>;
  /** Periods that have started and not ended (at most one per wallet), by period id. */
  periods: Record<string, { wallet: WalletId; endsAt: Instant }>;
  /** Holds still open (placed, not captured, released or expired), by hold id. */
  holds?: Record<string, { wallet: WalletId; expiresAt: Instant }>;
}

/** The manager's state of one account: its summary and the earliest instant in it. */
export interface DeadlineState {
  summary: DeadlineSummary;
  /** The account's next deadline: what the `deadlines` table stores. */
  dueAt?: Instant;
}

export const initialDeadlineState = (): DeadlineState => ({ summary: { lots: {}, periods: {} } });

/** The state the runner has from a `deadlines` row: enough to decide `DeadlineDue`. */
export const deadlineRowState = (dueAt: Instant | undefined): DeadlineState => ({
  summary: { lots: {}, periods: {} },
  ...(dueAt ? { dueAt } : {}),
});

/** The earliest expiry or period end of a summary. */
export function dueAtOf(summary: DeadlineSummary): Instant | undefined {
  let best: Instant | undefined;
  for (const lot of Object.values(summary.lots)) if (lot.remaining > 0n && (!best || lot.expiresAt < best)) best = lot.expiresAt;
  for (const p of Object.values(summary.periods)) if (!best || p.endsAt < best) best = p.endsAt;
  for (const h of Object.values(summary.holds ?? {})) if (!best || h.expiresAt < best) best = h.expiresAt;
  return best;
}

/** Does this event change what can fall due? (Only these touch a `deadlines` row.) */
export const movesDeadlines = (e: AccountEvent): boolean =>
  e.type === 'CreditsGranted' ||
  e.type === 'UsageCharged' ||
  e.type === 'LotExpired' ||
  e.type === 'LotForfeited' ||
  e.type === 'PeriodStarted' ||
  e.type === 'PeriodEnded' ||
  e.type === 'HoldPlaced' ||
  e.type === 'HoldCaptured' ||
  e.type === 'HoldReleased' ||
  e.type === 'HoldExpired';

/** Folds one account event into the summary. Returns a new state; the old one is untouched. */
export function evolveDeadlines(state: DeadlineState, e: AccountEvent): DeadlineState {
  if (!movesDeadlines(e)) return state;
  const lots = { ...state.summary.lots };
  const periods = { ...state.summary.periods };
  const holds = { ...state.summary.holds };
  switch (e.type) {
    case 'CreditsGranted':
      if (e.data.credits > 0n) lots[e.data.lotId] = { wallet: e.data.wallet, expiresAt: e.data.expiresAt, remaining: e.data.credits };
      break;
    case 'UsageCharged':
      for (const d of e.data.draws) {
        const lot = lots[d.lotId];
        if (!lot) continue; // already closed (a late record drawing on it is corrected, not reopened) or drained
        const remaining = lot.remaining - d.credits;
        if (remaining > 0n) lots[d.lotId] = { ...lot, remaining };
        else delete lots[d.lotId]; // a drained lot has nothing to expire
      }
      break;
    case 'LotExpired':
    case 'LotForfeited':
      delete lots[e.data.lotId];
      break;
    case 'PeriodStarted':
      periods[e.data.periodId] = { wallet: e.data.wallet, endsAt: e.data.endsAt };
      break;
    case 'PeriodEnded':
      delete periods[e.data.periodId];
      break;
    case 'HoldPlaced':
      holds[e.data.holdId] = { wallet: e.data.wallet, expiresAt: e.data.expiresAt };
      break;
    case 'HoldCaptured':
    case 'HoldReleased':
    case 'HoldExpired':
      delete holds[e.data.holdId];
      break;
  }
  const summary = { lots, periods, holds };
  const dueAt = dueAtOf(summary);
  return dueAt ? { summary, dueAt } : { summary };
}

export const foldDeadlines = (events: Iterable<AccountEvent>, from = initialDeadlineState()): DeadlineState => {
  let s = from;
  for (const e of events) s = evolveDeadlines(s, e);
  return s;
};

/** The clock reached `now` and the account's row says it is due by then. */
export interface DeadlineDue {
  type: 'DeadlineDue';
  accountId: string;
  /** The row's instant, as the runner read it. */
  dueAt: Instant;
  now: Instant;
}

/** An account event was recorded while the clock stands at `now`. */
export interface AccountEventRecorded {
  type: 'AccountEventRecorded';
  accountId: string;
  event: AccountEvent;
  now: Instant;
}

export type DeadlineInput = DeadlineDue | AccountEventRecorded;

/** A command for the account ledger. `id` is deterministic: the account and the deadline it serves. */
export interface ProcessCommand {
  id: string;
  accountId: string;
  command: Extract<AccountCommand, { type: 'Advance' }>;
}

const advance = (accountId: string, dueAt: Instant, now: Instant): ProcessCommand => ({
  id: `advance:${accountId}:${dueAt}`,
  accountId,
  command: { type: 'Advance', now },
});

/**
 * decide(input, state) -> commands.
 * - DeadlineDue: an Advance to `now` when the state's next deadline is at or before `now`;
 *   nothing when the state has moved on (the row the runner read was stale: already recorded).
 * - AccountEventRecorded: an Advance when the event leaves the account with a deadline already
 *   past (e.g. a plan started back in time whose first lot has expired since); otherwise nothing.
 */
export function decideDeadlines(input: DeadlineInput, state: DeadlineState): ProcessCommand[] {
  switch (input.type) {
    case 'DeadlineDue':
      return state.dueAt !== undefined && state.dueAt <= input.now ? [advance(input.accountId, state.dueAt, input.now)] : [];
    case 'AccountEventRecorded': {
      const after = evolveDeadlines(state, input.event);
      return after.dueAt !== undefined && after.dueAt <= input.now ? [advance(input.accountId, after.dueAt, input.now)] : [];
    }
  }
}
