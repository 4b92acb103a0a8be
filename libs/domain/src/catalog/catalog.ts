// The plan catalog and rate card as versioned data. Every charge keeps the version it was
// priced with, so replaying history never re-prices the past.
import { Cents, MicroCredits, parseCredits } from '../credits/credits';
import { Instant } from '../time/instant';
import defaultCatalogJson from './default-catalog.json';

export type WalletId = 'api' | 'live_avatar';
export const WALLETS: readonly WalletId[] = ['api', 'live_avatar'];
export type PlanId = 'api_free' | 'api_pro' | 'api_scale' | 'api_enterprise' | 'live_avatar';
export const PLAN_IDS: readonly PlanId[] = ['api_free', 'api_pro', 'api_scale', 'api_enterprise', 'live_avatar'];
export type Resolution = '720p' | '1080p' | '4k';
export const RESOLUTIONS: readonly Resolution[] = ['720p', '1080p', '4k'];
export type Feature = 'video_translation' | 'proofreading' | 'digital_twin';

/** What a usage record is, for pricing and for invoice lines. */
export type UsageKind =
  | 'avatar_video.unlimited'
  | 'avatar_video.avatar_iv'
  | 'video_translation'
  | 'proofreading'
  | 'streaming.api'
  | 'streaming.live_avatar_full'
  | 'streaming.live_avatar_custom';

export interface PlanSpec {
  wallet: WalletId;
  /** null: set per contract (enterprise). */
  monthlyCredits: string | null;
  priceCents: number | null;
  overageCentsPerCredit: number | null;
  maxVideoLengthMs: number | null;
  maxResolution: Resolution | null;
  watermark: boolean;
  features: Feature[];
  autoRenewAllowed: boolean;
  overageAllowed: boolean;
}

/** `credits` credits for every `every` units; units are started 30-second blocks or billed seconds. */
export interface Rate {
  wallet: WalletId;
  unit: 'block30' | 'second';
  credits: string;
  every: number;
  minimumSeconds: number;
  needsFeature: Feature | null;
}

export interface CatalogSettings {
  lotLifetimeDays: number;
  autoRenewThresholdPercent: number;
  autoRenewCapPerMonth: number;
  renewalRemainder: 'forfeit' | 'carry';
}

export interface Catalog {
  version: string;
  effectiveFrom: Instant;
  plans: Record<PlanId, PlanSpec>;
  rates: Record<UsageKind, Rate>;
  settings: CatalogSettings;
}

/** All catalog versions, oldest first. */
export type CatalogBook = readonly Catalog[];

export const DEFAULT_CATALOG = defaultCatalogJson as unknown as Catalog;
export const DEFAULT_BOOK: CatalogBook = [DEFAULT_CATALOG];

/** The catalog in force at an instant. */
export function catalogAt(book: CatalogBook, at: Instant): Catalog {
  let found: Catalog | undefined;
  for (const c of book) if (c.effectiveFrom <= at) found = c;
  if (!found) throw new RangeError(`no catalog version in force at ${at}`);
  return found;
}

export function catalogVersion(book: CatalogBook, version: string): Catalog {
  const found = book.find((c) => c.version === version);
  if (!found) throw new RangeError(`unknown catalog version ${version}`);
  return found;
}

/** Numbers a plan runs on; for enterprise they come from the contract. */
export interface PlanTerms {
  plan: PlanId;
  wallet: WalletId;
  catalogVersion: string;
  monthlyCredits: MicroCredits;
  priceCents: Cents;
  overageCentsPerCredit: Cents;
  maxVideoLengthMs: number | null;
  maxResolution: Resolution | null;
  watermark: boolean;
  features: Feature[];
  autoRenew: boolean;
  allowOverage: boolean;
}

export interface EnterpriseContract {
  monthlyCredits: string;
  priceCents: number;
  overageCentsPerCredit: number;
  maxVideoLengthMs?: number;
}

export type TermsError = { error: 'contract_required' | 'auto_renew_not_allowed' | 'overage_not_allowed'; message: string };

export function planTerms(
  catalog: Catalog,
  plan: PlanId,
  options: { autoRenew?: boolean; allowOverage?: boolean; contract?: EnterpriseContract },
): PlanTerms | TermsError {
  const spec = catalog.plans[plan];
  const contract = options.contract;
  if (spec.monthlyCredits === null && !contract)
    return {
      error: 'contract_required',
      message: `plan ${plan} needs a contract with monthlyCredits, priceCents and overageCentsPerCredit`,
    };
  if (options.autoRenew && !spec.autoRenewAllowed)
    return { error: 'auto_renew_not_allowed', message: `auto-renew cannot be switched on for plan ${plan}` };
  if (options.allowOverage && !spec.overageAllowed)
    return { error: 'overage_not_allowed', message: `overage cannot be switched on for plan ${plan}` };
  const pick = <T>(fromContract: T | undefined, fromSpec: T | null, fallback: T): T =>
    spec.monthlyCredits === null && fromContract !== undefined ? fromContract : (fromSpec ?? fallback);
  return {
    plan,
    wallet: spec.wallet,
    catalogVersion: catalog.version,
    monthlyCredits: parseCredits(pick(contract?.monthlyCredits, spec.monthlyCredits, '0')),
    priceCents: BigInt(pick(contract?.priceCents, spec.priceCents, 0)),
    overageCentsPerCredit: BigInt(pick(contract?.overageCentsPerCredit, spec.overageCentsPerCredit, 0)),
    maxVideoLengthMs: pick(contract?.maxVideoLengthMs, spec.maxVideoLengthMs, null),
    maxResolution: spec.maxResolution,
    watermark: spec.watermark,
    features: spec.features,
    autoRenew: options.autoRenew ?? false,
    allowOverage: options.allowOverage ?? false,
  };
}
