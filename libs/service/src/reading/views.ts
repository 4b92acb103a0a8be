// API shapes of api.md: credits as decimal strings, money as integer cents, times as ISO.
import { AccountBalance, AccountEvent, formatCredits, Invoice, sumCredits } from '@ledger/domain';
import { RecordedEvent } from '@ledger/event-store';

export const balanceView = (b: AccountBalance) => ({
  accountId: b.accountId,
  asOf: b.asOf,
  wallets: Object.fromEntries(Object.values(b.wallets).map((w) => [w.wallet, {
    plan: w.plan, periodId: w.periodId, available: formatCredits(w.available), held: formatCredits(w.held), overage: formatCredits(w.overage),
    uncovered: formatCredits(w.uncovered), exhausted: w.exhausted,
    lots: w.lots.map((l) => ({
      lotId: l.lotId, periodId: l.periodId, granted: formatCredits(l.granted), remaining: formatCredits(l.remaining),
      issuedAt: l.issuedAt, expiresAt: l.expiresAt,
    })),
  }])),
});

export const invoiceView = (i: Invoice) => ({
  number: i.number, accountId: i.accountId, kind: i.kind, wallet: i.wallet, plan: i.plan,
  period: { id: i.periodId, ...i.period },
  lines: i.lines.map((l) => ({
    description: l.description, ...(l.usageKind ? { usageKind: l.usageKind } : {}), quantity: formatCredits(l.quantity),
    unitPriceCents: Number(l.unitPriceCents), amountCents: Number(l.amountCents),
  })),
  totalCents: Number(i.totalCents), catalogVersion: i.catalogVersion, issuedAt: i.issuedAt,
  ...(i.supplements ? { supplements: i.supplements } : {}),
});

export type EntryKind = 'grant' | 'charge' | 'expiry' | 'forfeit' | 'overage' | 'uncovered' | 'correction';

/** The ledger entries one event makes, each naming its cause and where it came from. */
export function entriesOf(e: AccountEvent, r: RecordedEvent) {
  const base = { position: r.globalPosition.toString(), recordedAt: r.recordedAt.toISOString(), provenance: r.metadata };
  const entry = (kind: EntryKind, wallet: string, credits: bigint, extra: Record<string, unknown> = {}) =>
    ({ ...base, kind, at: e.data.at, wallet, credits: formatCredits(credits), ...extra });
  switch (e.type) {
    case 'CreditsGranted':
      return [entry('grant', e.data.wallet, e.data.credits, { lotId: e.data.lotId, periodId: e.data.periodId, expiresAt: e.data.expiresAt })];
    case 'UsageCharged': {
      const d = e.data;
      const usage = { source: d.usage.ref.source, id: d.usage.ref.id, kind: d.usage.kind, durationMs: d.usage.durationMs, jobId: d.usage.jobId,
        units: d.priced.units, unit: d.priced.unit, priced: formatCredits(d.priced.credits), catalogVersion: d.priced.catalogVersion, flags: d.flags };
      const out = [entry('charge', d.wallet, -sumCredits(d.draws.map((x) => x.credits)), { usage, draws: d.draws.map((x) => ({ lotId: x.lotId, credits: formatCredits(x.credits) })) })];
      if (d.overage > 0n) out.push(entry('overage', d.wallet, d.overage, { usage, periodId: d.periodId }));
      if (d.uncovered > 0n) out.push(entry('uncovered', d.wallet, d.uncovered, { usage, periodId: d.periodId }));
      return out;
    }
    case 'LotExpired':
      return [entry('expiry', e.data.wallet, -e.data.credits, { lotId: e.data.lotId })];
    case 'LotForfeited':
      return [entry('forfeit', e.data.wallet, -e.data.credits, { lotId: e.data.lotId, reason: e.data.reason })];
    case 'LotClosureCorrected':
      return [entry('correction', e.data.wallet, e.data.credits, { lotId: e.data.lotId, corrects: e.data.closure, usage: e.data.usage })];
    default:
      return [];
  }
}
