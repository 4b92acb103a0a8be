// Which ledger entries an event makes: the one rule, for every reader of the ledger (the finance
// read models, the history route). An entry is a signed movement of credits on a wallet, with its
// cause: credits in (grant, correction), credits out (charge, expiry, forfeit), and what a charge
// could not draw from any lot (overage, uncovered: amounts owed or unpaid, positive).
import { UsageKind, WalletId } from '../catalog/catalog';
import { MicroCredits, sumCredits } from '../credits/credits';
import { Instant } from '../time/instant';
import { AccountEvent, LotClosureCorrected, LotForfeited } from './events';

export type EntryKind = 'grant' | 'charge' | 'expiry' | 'forfeit' | 'overage' | 'uncovered' | 'correction';

/**
 * The few facts of an event that its entries are made of: what a decoded event gives
 * (entryFactOf), and what a reader of the stored log can give without decoding the whole event.
 * Amounts are unsigned, as the events record them.
 */
export type EntryFact =
  | { kind: 'grant'; wallet: WalletId; at: Instant; credits: MicroCredits; lotId: string; periodId: string }
  | {
      kind: 'charge';
      wallet: WalletId;
      at: Instant;
      periodId: string | null;
      usageKind: UsageKind;
      /** The credits drawn from lots: the sum of the charge's draws. */
      drawn: MicroCredits;
      overage: MicroCredits;
      uncovered: MicroCredits;
    }
  | { kind: 'expiry'; wallet: WalletId; at: Instant; credits: MicroCredits; lotId: string }
  | { kind: 'forfeit'; wallet: WalletId; at: Instant; credits: MicroCredits; lotId: string; reason: LotForfeited['data']['reason'] }
  | {
      kind: 'correction';
      wallet: WalletId;
      at: Instant;
      credits: MicroCredits;
      lotId: string;
      closure: LotClosureCorrected['data']['closure'];
    };

/** One entry of the ledger, as the read models store it (null where an entry of its kind has nothing). */
export interface LedgerEntry {
  kind: EntryKind;
  /** Its index among the entries of its event. */
  seq: number;
  wallet: WalletId;
  /** Event time. */
  at: Instant;
  /** Signed: negative for a charge, an expiry or a forfeit. */
  credits: MicroCredits;
  /** grant, expiry, forfeit, correction: the lot. */
  lotId: string | null;
  /** grant: the lot's period; charge, overage, uncovered: the period charged (null when none ran). */
  periodId: string | null;
  /** charge, overage, uncovered. */
  usageKind: UsageKind | null;
  /** forfeit: why; correction: the closure it undoes (expiry or forfeit). */
  reason: string | null;
}

/**
 * Where the entries of a fact go, one call per entry, in order. A reader that keeps entries
 * column by column (the read models' rebuild) takes them so, with no object per entry.
 */
export interface EntrySink {
  entry(
    kind: EntryKind,
    seq: number,
    wallet: WalletId,
    at: Instant,
    credits: MicroCredits,
    lotId: string | null,
    periodId: string | null,
    usageKind: UsageKind | null,
    reason: string | null,
  ): void;
}

/**
 * The rule: the entries a fact makes, in order. A charge makes its charge entry (even when
 * nothing was drawn: that is where the usage record shows), then its overage, then what is
 * uncovered, each of these only when not zero.
 */
export function writeEntries(f: EntryFact, to: EntrySink): void {
  switch (f.kind) {
    case 'grant':
      return to.entry('grant', 0, f.wallet, f.at, f.credits, f.lotId, f.periodId, null, null);
    case 'charge': {
      let seq = 0;
      to.entry('charge', seq++, f.wallet, f.at, -f.drawn, null, f.periodId, f.usageKind, null);
      if (f.overage > 0n) to.entry('overage', seq++, f.wallet, f.at, f.overage, null, f.periodId, f.usageKind, null);
      if (f.uncovered > 0n) to.entry('uncovered', seq++, f.wallet, f.at, f.uncovered, null, f.periodId, f.usageKind, null);
      return;
    }
    case 'expiry':
      return to.entry('expiry', 0, f.wallet, f.at, -f.credits, f.lotId, null, null, null);
    case 'forfeit':
      return to.entry('forfeit', 0, f.wallet, f.at, -f.credits, f.lotId, null, null, f.reason);
    case 'correction':
      return to.entry('correction', 0, f.wallet, f.at, f.credits, f.lotId, null, null, f.closure);
  }
}

/** The entries a fact makes (writeEntries), as plain data. */
export function entriesOf(f: EntryFact): LedgerEntry[] {
  const out: LedgerEntry[] = [];
  writeEntries(f, {
    entry: (kind, seq, wallet, at, credits, lotId, periodId, usageKind, reason) => {
      out.push({ kind, seq, wallet, at, credits, lotId, periodId, usageKind, reason });
    },
  });
  return out;
}

/** What of a decoded event makes entries; undefined for an event that makes none. */
export function entryFactOf(e: AccountEvent): EntryFact | undefined {
  switch (e.type) {
    case 'CreditsGranted': {
      const d = e.data;
      return { kind: 'grant', wallet: d.wallet, at: d.at, credits: d.credits, lotId: d.lotId, periodId: d.periodId };
    }
    case 'UsageCharged': {
      const d = e.data;
      return {
        kind: 'charge',
        wallet: d.wallet,
        at: d.at,
        periodId: d.periodId,
        usageKind: d.usage.kind,
        drawn: sumCredits(d.draws.map((x) => x.credits)),
        overage: d.overage,
        uncovered: d.uncovered,
      };
    }
    case 'LotExpired': {
      const d = e.data;
      return { kind: 'expiry', wallet: d.wallet, at: d.at, credits: d.credits, lotId: d.lotId };
    }
    case 'LotForfeited': {
      const d = e.data;
      return { kind: 'forfeit', wallet: d.wallet, at: d.at, credits: d.credits, lotId: d.lotId, reason: d.reason };
    }
    case 'LotClosureCorrected': {
      const d = e.data;
      return { kind: 'correction', wallet: d.wallet, at: d.at, credits: d.credits, lotId: d.lotId, closure: d.closure };
    }
    case 'AccountOpened':
    case 'PeriodStarted':
    case 'InvoiceIssued':
    case 'RenderFailed':
    case 'PeriodEnded':
    case 'PlanSettingsChanged':
    case 'PlanCancelled':
    case 'AutoRenewCapReached':
      return undefined;
  }
}

/** The entries of a decoded event (none for most kinds of event). */
export const entriesOfEvent = (e: AccountEvent): LedgerEntry[] => {
  const f = entryFactOf(e);
  return f ? entriesOf(f) : [];
};
