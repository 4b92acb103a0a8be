// "May this run?" before a render or session starts (pricing.md section 5).
import { catalogAt, CatalogBook, catalogVersion, Resolution, RESOLUTIONS, UsageKind } from '../catalog/catalog';
import { price } from '../pricing/price';
import { walletOfKind } from '../pricing/usage';
import { Instant } from '../time/instant';
import { balanceOf } from './balance';
import { reservableAt } from './holds';
import { AccountState, periodAt } from './state';

export interface AuthorizationRequest {
  kind: UsageKind;
  estimatedDurationMs: number;
  resolution?: Resolution;
}

export type AuthorizationReason =
  'no_plan' | 'feature_not_in_plan' | 'video_too_long' | 'resolution_above_plan' | 'wallet_exhausted' | 'insufficient_credits';

export interface Authorization {
  allowed: boolean;
  reasons: AuthorizationReason[];
  estimatedCredits: bigint;
  available: bigint;
}

/**
 * `heldUntil`: asked for a hold open until then, whose estimate must be covered by credits that
 * stay spendable that long and are not held already (`reservableAt`).
 */
export function authorize(s: AccountState, req: AuthorizationRequest, now: Instant, book: CatalogBook, heldUntil?: Instant): Authorization {
  const wallet = walletOfKind(req.kind);
  const p = periodAt(s.wallets[wallet], now);
  const catalog = p ? catalogVersion(book, p.terms.catalogVersion) : catalogAt(book, now);
  const estimatedCredits = price(req.kind, req.estimatedDurationMs, catalog).credits;
  const balance = balanceOf(s.accountId ?? '', s, now).wallets[wallet];
  const available = heldUntil === undefined ? balance.available : reservableAt(s, wallet, now, heldUntil);
  const reasons: AuthorizationReason[] = [];
  if (!p) reasons.push('no_plan');
  else {
    const needs = catalog.rates[req.kind].needsFeature;
    if (needs && !p.terms.features.includes(needs)) reasons.push('feature_not_in_plan');
    if (!req.kind.startsWith('streaming.')) {
      if (p.terms.maxVideoLengthMs !== null && req.estimatedDurationMs > p.terms.maxVideoLengthMs) reasons.push('video_too_long');
      if (req.resolution && p.terms.maxResolution && RESOLUTIONS.indexOf(req.resolution) > RESOLUTIONS.indexOf(p.terms.maxResolution))
        reasons.push('resolution_above_plan');
    }
    if (balance.exhausted) reasons.push('wallet_exhausted');
    else if (!p.terms.allowOverage && available < estimatedCredits) reasons.push('insufficient_credits');
  }
  return { allowed: reasons.length === 0, reasons, estimatedCredits, available };
}
