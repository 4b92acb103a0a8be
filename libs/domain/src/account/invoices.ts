// Invoice content: plan invoices at each period start, overage invoices after a period.
import { UsageKind } from '../catalog/catalog';
import { centsFor, formatCredits, MicroCredits } from '../credits/credits';
import { Instant } from '../time/instant';
import { Invoice, InvoiceLine } from './events';
import { Period } from './state';

/** Numbers are unique per account series and never reused: `INV-<account>-<n>`. */
export const invoiceNumber = (accountId: string, n: number): string => `INV-${accountId}-${String(n).padStart(4, '0')}`;

const USAGE_NAMES: Record<UsageKind, string> = {
  'avatar_video.unlimited': 'avatar video (unlimited engine)',
  'avatar_video.avatar_iv': 'avatar video (Avatar IV engine)',
  video_translation: 'video translation',
  proofreading: 'proofreading',
  'streaming.api': 'API streaming',
  'streaming.live_avatar_full': 'LiveAvatar Full SDK',
  'streaming.live_avatar_custom': 'LiveAvatar Custom SDK',
};

export function planInvoice(accountId: string, n: number, p: Period, at: Instant): Invoice | undefined {
  if (p.terms.priceCents === 0n) return undefined; // a period that costs nothing is not invoiced
  return {
    number: invoiceNumber(accountId, n),
    accountId,
    kind: 'plan',
    wallet: p.wallet,
    plan: p.terms.plan,
    periodId: p.periodId,
    period: { startsAt: p.startsAt, endsAt: p.endsAt },
    lines: [
      {
        description: `${p.terms.plan}: ${formatCredits(p.terms.monthlyCredits)} credits for the period`,
        quantity: p.terms.monthlyCredits,
        unitPriceCents: p.terms.priceCents,
        amountCents: p.terms.priceCents,
      },
    ],
    totalCents: p.terms.priceCents,
    catalogVersion: p.terms.catalogVersion,
    issuedAt: at,
  };
}

/** One line per usage kind, cents rounded half up per line; undefined when nothing is owed. */
export function overageInvoice(
  accountId: string,
  n: number,
  p: Period,
  overage: Partial<Record<UsageKind, MicroCredits>>,
  at: Instant,
): Invoice | undefined {
  const lines: InvoiceLine[] = (Object.keys(overage) as UsageKind[])
    .filter((k) => (overage[k] ?? 0n) > 0n)
    .sort()
    .map((k) => {
      const quantity = overage[k]!;
      return {
        description: `overage: ${USAGE_NAMES[k]}, ${formatCredits(quantity)} credits`,
        usageKind: k,
        quantity,
        unitPriceCents: p.terms.overageCentsPerCredit,
        amountCents: centsFor(quantity, p.terms.overageCentsPerCredit),
      };
    });
  if (lines.length === 0) return undefined;
  return {
    number: invoiceNumber(accountId, n),
    accountId,
    kind: 'overage',
    wallet: p.wallet,
    plan: p.terms.plan,
    periodId: p.periodId,
    period: { startsAt: p.startsAt, endsAt: p.endedAt ?? p.endsAt },
    lines,
    totalCents: lines.reduce((t, l) => t + l.amountCents, 0n),
    catalogVersion: p.terms.catalogVersion,
    issuedAt: at,
    ...(p.overageInvoiceNumber ? { supplements: p.overageInvoiceNumber } : {}),
  };
}
