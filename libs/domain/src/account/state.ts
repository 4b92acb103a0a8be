// An account's state as the fold of its events. evolve never decides anything.
import { PlanTerms, UsageKind, WalletId } from '../catalog/catalog';
import { MicroCredits } from '../credits/credits';
import { Instant } from '../time/instant';
import { UsageRef } from '../pricing/usage';
import { AccountEvent, HoldRequest, PeriodEndReason } from './events';

export interface Lot {
  lotId: string;
  wallet: WalletId;
  periodId: string;
  granted: MicroCredits;
  issuedAt: Instant;
  expiresAt: Instant;
  charged: MicroCredits;
  expired: MicroCredits;
  forfeited: MicroCredits;
  /** Set once the expiry or forfeit is recorded: from then on nothing is left in the lot. */
  closure?: { kind: 'expiry' | 'forfeit'; at: Instant };
}

export interface Period {
  periodId: string;
  wallet: WalletId;
  terms: PlanTerms;
  startsAt: Instant;
  endsAt: Instant;
  endedAt?: Instant;
  endReason?: PeriodEndReason;
  lotId?: string;
  /** Credits drawn from this period's own grant (the 90 % rule counts these). */
  used: MicroCredits;
  overageByKind: Partial<Record<UsageKind, MicroCredits>>;
  uncovered: MicroCredits;
  overageInvoiceNumber?: string;
  renewed: boolean;
}

export interface Wallet {
  wallet: WalletId;
  periods: Period[];
  lots: Lot[];
  exhausted: boolean;
  uncovered: MicroCredits;
  lastChargeAt?: Instant;
  renewalsByMonth: Record<string, number>;
  capReachedMonths: string[];
}

export type HoldStatus = 'held' | 'captured' | 'released' | 'expired';

export interface Hold {
  holdId: string;
  holdKey: string;
  wallet: WalletId;
  periodId: string | null;
  request: HoldRequest;
  credits: MicroCredits;
  placedAt: Instant;
  expiresAt: Instant;
  status: HoldStatus;
  /** When it ended (captured, released or expired), once recorded. */
  endedAt?: Instant;
  usage?: UsageRef;
}

export interface AccountState {
  accountId?: string;
  name?: string;
  openedAt?: Instant;
  wallets: Record<WalletId, Wallet>;
  invoiceCount: number;
  periodCount: number;
  lotCount: number;
  /** Every hold of the account, in the order placed (holdKey is unique on an account). */
  holds: Hold[];
}

const emptyWallet = (wallet: WalletId): Wallet => ({
  wallet,
  periods: [],
  lots: [],
  exhausted: false,
  uncovered: 0n,
  renewalsByMonth: {},
  capReachedMonths: [],
});

export const initialAccountState = (): AccountState => ({
  wallets: { api: emptyWallet('api'), live_avatar: emptyWallet('live_avatar') },
  invoiceCount: 0,
  periodCount: 0,
  lotCount: 0,
  holds: [],
});

/** What is left in a lot, as recorded. */
export const lotRemaining = (lot: Lot): MicroCredits => lot.granted - lot.charged - lot.expired - lot.forfeited;

export const findLot = (w: Wallet, lotId: string): Lot => {
  const lot = w.lots.find((l) => l.lotId === lotId);
  if (!lot) throw new Error(`lot ${lotId} not in wallet ${w.wallet}`);
  return lot;
};

export const findPeriod = (w: Wallet, periodId: string): Period => {
  const p = w.periods.find((x) => x.periodId === periodId);
  if (!p) throw new Error(`period ${periodId} not in wallet ${w.wallet}`);
  return p;
};

/** The period still running (not ended), if any. */
export const openPeriod = (w: Wallet): Period | undefined => {
  const last = w.periods[w.periods.length - 1];
  return last && !last.endedAt ? last : undefined;
};

/** The period an instant belongs to. */
export const periodAt = (w: Wallet, at: Instant): Period | undefined => {
  for (let i = w.periods.length - 1; i >= 0; i--) {
    const p = w.periods[i];
    if (p.startsAt <= at && at < (p.endedAt ?? p.endsAt)) return p;
  }
  return undefined;
};

/** Applies one event: the account's next state. Pure: `s` is left as it was. */
export function evolve(s: AccountState, e: AccountEvent): AccountState {
  return evolveInPlace(cloneAccountState(s), e);
}

/**
 * `evolve` for a fold that owns its state (replay, the ledger's cache): the same next state,
 * made by applying `e` to `s` itself, which it returns. The caller owns `s`: whoever else
 * holds it sees it change. Folding a stream this way needs no copies, which keeps replay fast.
 */
export function evolveInPlace(s: AccountState, e: AccountEvent): AccountState {
  switch (e.type) {
    case 'AccountOpened':
      s.accountId = e.data.accountId;
      s.name = e.data.name;
      s.openedAt = e.data.at;
      return s;
    case 'PeriodStarted': {
      const d = e.data;
      s.periodCount++;
      s.wallets[d.wallet].periods.push({
        periodId: d.periodId,
        wallet: d.wallet,
        terms: { ...d.terms },
        startsAt: d.startsAt,
        endsAt: d.endsAt,
        used: 0n,
        overageByKind: {},
        uncovered: 0n,
        renewed: false,
      });
      if (d.reason === 'renewal') {
        const w = s.wallets[d.wallet];
        const month = d.startsAt.slice(0, 7);
        w.renewalsByMonth[month] = (w.renewalsByMonth[month] ?? 0) + 1;
      }
      return s;
    }
    case 'CreditsGranted': {
      const d = e.data;
      const w = s.wallets[d.wallet];
      s.lotCount++;
      w.lots.push({
        lotId: d.lotId,
        wallet: d.wallet,
        periodId: d.periodId,
        granted: d.credits,
        issuedAt: d.at,
        expiresAt: d.expiresAt,
        charged: 0n,
        expired: 0n,
        forfeited: 0n,
      });
      const p = w.periods.find((x) => x.periodId === d.periodId);
      if (p) p.lotId = d.lotId;
      w.exhausted = false;
      return s;
    }
    case 'InvoiceIssued': {
      const inv = e.data.invoice;
      s.invoiceCount++;
      if (inv.kind === 'overage' && !inv.supplements) findPeriod(s.wallets[inv.wallet], inv.periodId).overageInvoiceNumber = inv.number;
      return s;
    }
    case 'UsageCharged': {
      const d = e.data;
      const w = s.wallets[d.wallet];
      const p = d.periodId ? findPeriod(w, d.periodId) : undefined;
      for (const draw of d.draws) {
        const lot = findLot(w, draw.lotId);
        lot.charged += draw.credits;
        if (p && lot.lotId === p.lotId) p.used += draw.credits;
      }
      if (p && d.overage > 0n) p.overageByKind[d.priced.kind] = (p.overageByKind[d.priced.kind] ?? 0n) + d.overage;
      if (p) p.uncovered += d.uncovered;
      w.uncovered += d.uncovered;
      if (d.uncovered > 0n) w.exhausted = true;
      if (!w.lastChargeAt || d.at > w.lastChargeAt) w.lastChargeAt = d.at;
      return s;
    }
    case 'LotExpired': {
      const lot = findLot(s.wallets[e.data.wallet], e.data.lotId);
      lot.expired += e.data.credits;
      lot.closure = { kind: 'expiry', at: e.data.at };
      return s;
    }
    case 'LotForfeited': {
      const lot = findLot(s.wallets[e.data.wallet], e.data.lotId);
      lot.forfeited += e.data.credits;
      lot.closure = { kind: 'forfeit', at: e.data.at };
      return s;
    }
    case 'LotClosureCorrected': {
      const lot = findLot(s.wallets[e.data.wallet], e.data.lotId);
      if (e.data.closure === 'expiry') lot.expired -= e.data.credits;
      else lot.forfeited -= e.data.credits;
      return s;
    }
    case 'PeriodEnded': {
      const p = findPeriod(s.wallets[e.data.wallet], e.data.periodId);
      p.endedAt = e.data.at;
      p.endReason = e.data.reason;
      if (e.data.reason === 'renewal') p.renewed = true;
      return s;
    }
    case 'PlanSettingsChanged': {
      const p = findPeriod(s.wallets[e.data.wallet], e.data.periodId);
      p.terms = { ...p.terms, autoRenew: e.data.autoRenew, allowOverage: e.data.allowOverage };
      return s;
    }
    case 'AutoRenewCapReached':
      s.wallets[e.data.wallet].capReachedMonths.push(e.data.month);
      return s;
    case 'HoldPlaced': {
      const d = e.data;
      s.holds.push({
        holdId: d.holdId,
        holdKey: d.holdKey,
        wallet: d.wallet,
        periodId: d.periodId,
        request: { ...d.request },
        credits: d.credits,
        placedAt: d.at,
        expiresAt: d.expiresAt,
        status: 'held',
      });
      return s;
    }
    case 'HoldCaptured':
    case 'HoldReleased':
    case 'HoldExpired': {
      const h = s.holds.find((x) => x.holdId === e.data.holdId);
      if (!h) throw new Error(`hold ${e.data.holdId} not on account ${s.accountId}`);
      h.status = e.type === 'HoldCaptured' ? 'captured' : e.type === 'HoldReleased' ? 'released' : 'expired';
      h.endedAt = e.data.at;
      if (e.type === 'HoldCaptured') h.usage = e.data.usage;
      return s;
    }
    case 'RenderFailed':
    case 'PlanCancelled':
      return s;
  }
}

/** The state these events fold to, from a new account or from `from` (left as it was). */
export const foldAccount = (events: Iterable<AccountEvent>, from?: AccountState): AccountState => {
  let s = from ? cloneAccountState(from) : initialAccountState();
  for (const e of events) s = evolveInPlace(s, e);
  return s;
};

/** A deep copy: what `evolve` and `decide` start from, so that the state they are given stays as it was. */
export const cloneAccountState = (s: AccountState): AccountState => structuredClone(s);
