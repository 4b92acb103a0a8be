// API shapes of api.md: credits as decimal strings, money as integer cents, times as ISO.
import {
  AccountBalance,
  AccountEvent,
  entriesOf as ledgerEntriesOf,
  entryFactOf,
  formatCredits,
  Invoice,
  LedgerEntry,
} from '@ledger/domain';
import { RecordedEvent } from '@ledger/event-store';

export const balanceView = (b: AccountBalance) => ({
  accountId: b.accountId,
  asOf: b.asOf,
  wallets: Object.fromEntries(
    Object.values(b.wallets).map((w) => [
      w.wallet,
      {
        plan: w.plan,
        periodId: w.periodId,
        available: formatCredits(w.available),
        held: formatCredits(w.held),
        overage: formatCredits(w.overage),
        uncovered: formatCredits(w.uncovered),
        exhausted: w.exhausted,
        lots: w.lots.map((l) => ({
          lotId: l.lotId,
          periodId: l.periodId,
          granted: formatCredits(l.granted),
          remaining: formatCredits(l.remaining),
          issuedAt: l.issuedAt,
          expiresAt: l.expiresAt,
        })),
      },
    ]),
  ),
});

export const invoiceView = (i: Invoice) => ({
  number: i.number,
  accountId: i.accountId,
  kind: i.kind,
  wallet: i.wallet,
  plan: i.plan,
  period: { id: i.periodId, ...i.period },
  lines: i.lines.map((l) => ({
    description: l.description,
    ...(l.usageKind ? { usageKind: l.usageKind } : {}),
    quantity: formatCredits(l.quantity),
    unitPriceCents: Number(l.unitPriceCents),
    amountCents: Number(l.amountCents),
  })),
  totalCents: Number(i.totalCents),
  catalogVersion: i.catalogVersion,
  issuedAt: i.issuedAt,
  ...(i.supplements ? { supplements: i.supplements } : {}),
});

/**
 * The ledger entries one event makes (@ledger/domain entriesOf: the same the read models store),
 * in the API's shape: each with its cause (the usage record, the draws, the lot's expiry, the
 * closure a correction undoes) and where it came from.
 */
export function entriesOf(e: AccountEvent, r: RecordedEvent) {
  const fact = entryFactOf(e);
  if (!fact) return [];
  const base = { position: r.globalPosition.toString(), recordedAt: r.recordedAt.toISOString(), provenance: r.metadata };
  const detail = detailOf(e);
  return ledgerEntriesOf(fact).map((x) => ({
    ...base,
    kind: x.kind,
    at: x.at,
    wallet: x.wallet,
    credits: formatCredits(x.credits),
    ...detail(x),
  }));
}

/** What the API shows of an entry beside its kind, time, wallet and credits: from the entry, and from its event. */
function detailOf(e: AccountEvent): (x: LedgerEntry) => Record<string, unknown> {
  switch (e.type) {
    case 'CreditsGranted':
      return (x) => ({ lotId: x.lotId, periodId: x.periodId, expiresAt: e.data.expiresAt });
    case 'UsageCharged': {
      const d = e.data;
      const usage = {
        source: d.usage.ref.source,
        id: d.usage.ref.id,
        kind: d.usage.kind,
        durationMs: d.usage.durationMs,
        jobId: d.usage.jobId,
        units: d.priced.units,
        unit: d.priced.unit,
        priced: formatCredits(d.priced.credits),
        catalogVersion: d.priced.catalogVersion,
        flags: d.flags,
      };
      return (x) =>
        x.kind === 'charge'
          ? { usage, draws: d.draws.map((y) => ({ lotId: y.lotId, credits: formatCredits(y.credits) })) }
          : { usage, periodId: x.periodId }; // overage, uncovered
    }
    case 'LotExpired':
      return (x) => ({ lotId: x.lotId });
    case 'LotForfeited':
      return (x) => ({ lotId: x.lotId, reason: x.reason });
    case 'LotClosureCorrected':
      return (x) => ({ lotId: x.lotId, corrects: x.reason, usage: e.data.usage });
    default:
      return () => ({});
  }
}
