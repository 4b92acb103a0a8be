// What the ledger records about an account: plain typed events, one stream per account.
import { PlanId, PlanTerms, Resolution, UsageKind, WalletId } from '../catalog/catalog';
import { Cents, MicroCredits } from '../credits/credits';
import { Priced } from '../pricing/price';
import { Usage, UsageRef } from '../pricing/usage';
import { Instant } from '../time/instant';

type Event<Type extends string, Data> = { type: Type; data: Data };

export type PeriodStartReason = 'opened' | 'plan_started' | 'boundary' | 'renewal' | 'free_resumed';
export type PeriodEndReason = 'boundary' | 'renewal' | 'cancelled' | 'replaced';
/** Why a usage record needs a person's look, although it was charged. */
export type ReviewFlag = 'no_plan' | 'feature_not_in_plan' | 'video_too_long' | 'resolution_above_plan' | 'watermark_missing';

export interface LotDraw {
  lotId: string;
  credits: MicroCredits;
}

export interface InvoiceLine {
  description: string;
  usageKind?: UsageKind;
  quantity: MicroCredits;
  unitPriceCents: Cents;
  amountCents: Cents;
}

export interface Invoice {
  number: string;
  accountId: string;
  kind: 'plan' | 'overage';
  wallet: WalletId;
  plan: PlanId;
  periodId: string;
  period: { startsAt: Instant; endsAt: Instant };
  lines: InvoiceLine[];
  totalCents: Cents;
  catalogVersion: string;
  issuedAt: Instant;
  /** For a supplementary overage invoice: the overage invoice of the same period it adds to. */
  supplements?: string;
}

export type AccountOpened = Event<'AccountOpened', { accountId: string; name: string; at: Instant }>;
export type PeriodStarted = Event<
  'PeriodStarted',
  {
    wallet: WalletId;
    periodId: string;
    terms: PlanTerms;
    startsAt: Instant;
    endsAt: Instant;
    reason: PeriodStartReason;
    at: Instant;
  }
>;
export type CreditsGranted = Event<
  'CreditsGranted',
  {
    wallet: WalletId;
    lotId: string;
    periodId: string;
    credits: MicroCredits;
    at: Instant;
    expiresAt: Instant;
  }
>;
export type InvoiceIssued = Event<'InvoiceIssued', { invoice: Invoice; at: Instant }>;
export type UsageCharged = Event<
  'UsageCharged',
  {
    wallet: WalletId;
    periodId: string | null;
    usage: Usage;
    priced: Priced;
    draws: LotDraw[];
    overage: MicroCredits;
    uncovered: MicroCredits;
    flags: ReviewFlag[];
    at: Instant;
  }
>;
export type RenderFailed = Event<'RenderFailed', { ref: UsageRef; jobId: string; at: Instant }>;
export type LotExpired = Event<'LotExpired', { wallet: WalletId; lotId: string; credits: MicroCredits; at: Instant }>;
export type LotForfeited = Event<
  'LotForfeited',
  {
    wallet: WalletId;
    lotId: string;
    credits: MicroCredits;
    reason: 'replaced_free' | 'renewal';
    at: Instant;
  }
>;
/** A late usage record drew from a lot after its expiry or forfeit was recorded: that record shrinks. */
export type LotClosureCorrected = Event<
  'LotClosureCorrected',
  {
    wallet: WalletId;
    lotId: string;
    credits: MicroCredits;
    closure: 'expiry' | 'forfeit';
    usage: UsageRef;
    at: Instant;
  }
>;
export type PeriodEnded = Event<'PeriodEnded', { wallet: WalletId; periodId: string; reason: PeriodEndReason; at: Instant }>;
export type PlanSettingsChanged = Event<
  'PlanSettingsChanged',
  {
    wallet: WalletId;
    periodId: string;
    autoRenew: boolean;
    allowOverage: boolean;
    at: Instant;
  }
>;
export type PlanCancelled = Event<'PlanCancelled', { wallet: WalletId; plan: PlanId; at: Instant }>;
export type AutoRenewCapReached = Event<'AutoRenewCapReached', { wallet: WalletId; month: string; cap: number; at: Instant }>;

/** What a hold was asked to cover: the estimate of a render or session about to run. */
export interface HoldRequest {
  kind: UsageKind;
  estimatedDurationMs: number;
  resolution?: Resolution;
  ttlMs: number;
}
/** Credits reserved for a job or session (`holdKey`: its jobId or sessionId) until it ends or `expiresAt`. */
export type HoldPlaced = Event<
  'HoldPlaced',
  {
    wallet: WalletId;
    holdId: string;
    holdKey: string;
    periodId: string | null;
    request: HoldRequest;
    credits: MicroCredits;
    catalogVersion: string;
    expiresAt: Instant;
    at: Instant;
  }
>;
/** The usage of the hold's key was charged (at its real price): the reservation ends. */
export type HoldCaptured = Event<'HoldCaptured', { wallet: WalletId; holdId: string; holdKey: string; usage: UsageRef; at: Instant }>;
export type HoldReleased = Event<
  'HoldReleased',
  { wallet: WalletId; holdId: string; holdKey: string; reason: 'render_failed' | 'released'; at: Instant }
>;
export type HoldExpired = Event<'HoldExpired', { wallet: WalletId; holdId: string; holdKey: string; at: Instant }>;

export type AccountEvent =
  | AccountOpened
  | PeriodStarted
  | CreditsGranted
  | InvoiceIssued
  | UsageCharged
  | RenderFailed
  | LotExpired
  | LotForfeited
  | LotClosureCorrected
  | PeriodEnded
  | PlanSettingsChanged
  | PlanCancelled
  | AutoRenewCapReached
  | HoldPlaced
  | HoldCaptured
  | HoldReleased
  | HoldExpired;

export type AccountEventType = AccountEvent['type'];
export const ACCOUNT_EVENT_TYPES: readonly AccountEventType[] = [
  'AccountOpened',
  'PeriodStarted',
  'CreditsGranted',
  'InvoiceIssued',
  'UsageCharged',
  'RenderFailed',
  'LotExpired',
  'LotForfeited',
  'LotClosureCorrected',
  'PeriodEnded',
  'PlanSettingsChanged',
  'PlanCancelled',
  'AutoRenewCapReached',
  'HoldPlaced',
  'HoldCaptured',
  'HoldReleased',
  'HoldExpired',
];

/** Event time: when what the event records happened. */
export const eventTime = (e: AccountEvent): Instant => e.data.at;
