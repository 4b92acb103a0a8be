// What the finance read models make of a batch of the log: pure, no I/O. Rows that only grow
// (entries, invoices, accounts) are collected as they are; rows that change (balances, lots, holds,
// periods, usage) are folded into one change per key, so the batch writes one row per key,
// whatever the number of events that touched it.
import {
  AccountEvent,
  EntryFact,
  EntryKind,
  EntrySink,
  Instant,
  isAccountEventType,
  UsageKind,
  WalletId,
  writeEntries,
} from '@ledger/domain';
import type { RecordedEvent } from '@ledger/event-store';

/** One event of the global log, as the projector reads it (its metadata stays in the database). */
export interface LogEvent {
  position: bigint;
  streamId: string;
  type: string;
  /** The event's data as stored: amounts are decimal strings (account/codec.ts). Null when `charge` is given. */
  data: Record<string, unknown> | null;
  /**
   * A UsageCharged event as the few fields the read models use: nine out of some thirty. The
   * SQL reader extracts them in the database (a rebuild parses a third of the JSON); any
   * other reader gives `data` and they are taken from it.
   */
  charge?: ChargeFields;
  /** The whole event, when the reader has it (the port's readAll): what a copy of the log needs. */
  recorded?: RecordedEvent;
}

export interface ChargeFields {
  wallet: string;
  periodId: string | null;
  at: string;
  usageKind: string;
  durationMs: number;
  /** Decimal strings of millionths, as stored. */
  credits: string;
  overage: string;
  uncovered: string;
  draws: { lotId: string; credits: string }[];
}

/** The fields of a stored UsageCharged event that the read models use. */
export function chargeFields(data: Record<string, unknown>): ChargeFields {
  const d = data as unknown as Stored<UsageChargedData>;
  return {
    wallet: d.wallet,
    periodId: d.periodId,
    at: d.at,
    usageKind: d.usage.kind,
    durationMs: d.usage.durationMs,
    credits: d.priced.credits,
    overage: d.overage,
    uncovered: d.uncovered,
    draws: d.draws,
  };
}
type UsageChargedData = Extract<AccountEvent, { type: 'UsageCharged' }>['data'];

/** A value as the codec stores it: every bigint amount is its decimal string. */
type Stored<T> = T extends bigint
  ? string
  : T extends readonly (infer U)[]
    ? Stored<U>[]
    : T extends object
      ? { [K in keyof T]: Stored<T[K]> }
      : T;
/**
 * An account event as stored. The projection reads amounts with BigInt() where it needs them
 * rather than decoding every event whole (decodeAccountEvent walks all of it: a rebuild's hot path).
 */
type StoredEvent = AccountEvent extends infer E
  ? E extends { type: infer T; data: infer D }
    ? { type: T; data: Stored<D> }
    : never
  : never;
/** Most amounts in a charge are zero (no overage, nothing uncovered): no BigInt made for those. */
const big = (x: string): bigint => (x === '0' ? 0n : BigInt(x));

const ACCOUNT_PREFIX = 'account-';

/** Ledger entries (@ledger/domain writeEntries), column by column: no object per entry (a batch has one per event or more). */
export class EntryColumns implements EntrySink {
  readonly position: bigint[] = [];
  readonly seq: number[] = [];
  readonly accountId: string[] = [];
  readonly wallet: string[] = [];
  readonly kind: string[] = [];
  readonly at: string[] = [];
  readonly credits: bigint[] = [];
  readonly lotId: (string | null)[] = [];
  readonly periodId: (string | null)[] = [];
  readonly usageKind: (string | null)[] = [];
  readonly reason: (string | null)[] = [];
  /** The event whose entries are being written (add). */
  private eventPosition = 0n;
  private eventAccount = '';

  get length(): number {
    return this.position.length;
  }

  /** The entries the fact makes, of the event at `position` of an account's stream. */
  add(position: bigint, accountId: string, fact: EntryFact): void {
    this.eventPosition = position;
    this.eventAccount = accountId;
    writeEntries(fact, this);
  }

  entry(
    kind: EntryKind,
    seq: number,
    wallet: WalletId,
    at: Instant,
    credits: bigint,
    lotId: string | null,
    periodId: string | null,
    usageKind: UsageKind | null,
    reason: string | null,
  ): void {
    this.position.push(this.eventPosition);
    this.seq.push(seq);
    this.accountId.push(this.eventAccount);
    this.wallet.push(wallet);
    this.kind.push(kind);
    this.at.push(at);
    this.credits.push(credits);
    this.lotId.push(lotId);
    this.periodId.push(periodId);
    this.usageKind.push(usageKind);
    this.reason.push(reason);
  }
}

export interface BalanceChange {
  accountId: string;
  wallet: string;
  /** true: plan and periodId are the values to set (a period started in this batch). */
  setPeriod: boolean;
  plan: string | null;
  periodId: string | null;
  /** A period that ended in this batch after no start: clear the current one if it is this. */
  clearIf: string | null;
  granted: bigint;
  charged: bigint;
  expired: bigint;
  forfeited: bigint;
  overage: bigint;
  uncovered: bigint;
  /** null: unchanged. */
  exhausted: boolean | null;
  position: bigint;
}

export interface LotChange {
  accountId: string;
  lotId: string;
  wallet: string;
  /** Set when the lot was granted in this batch. */
  periodId: string | null;
  issuedAt: string | null;
  expiresAt: string | null;
  granted: bigint;
  charged: bigint;
  expired: bigint;
  forfeited: bigint;
  corrected: bigint;
  closure: string | null;
  closedAt: string | null;
  position: bigint;
}

export interface PeriodChange {
  accountId: string;
  periodId: string;
  wallet: string;
  /** Set when the period started in this batch. */
  started: {
    plan: string;
    catalogVersion: string;
    reason: string;
    startsAt: string;
    endsAt: string;
    monthlyCredits: bigint;
    priceCents: bigint;
    overageCentsPerCredit: bigint;
  } | null;
  endedAt: string | null;
  endReason: string | null;
  /** Latest settings of the batch, or null when unchanged. */
  autoRenew: boolean | null;
  allowOverage: boolean | null;
  records: bigint;
  charged: bigint;
  overage: bigint;
  uncovered: bigint;
  position: bigint;
}

export interface HoldChange {
  accountId: string;
  holdId: string;
  wallet: string;
  /** Set when the hold was placed in this batch (else null: the row is there already). */
  placed: {
    holdKey: string;
    periodId: string | null;
    usageKind: string;
    credits: bigint;
    placedAt: string;
    expiresAt: string;
  } | null;
  status: string;
  endedAt: string | null;
  position: bigint;
}

export interface UsageChange {
  accountId: string;
  /** Day (YYYY-MM-DD) or month (YYYY-MM-01) of the usage's event time, UTC. */
  bucket: string;
  usageKind: string;
  records: number;
  credits: bigint;
  durationMs: number;
  overage: bigint;
  uncovered: bigint;
}

export interface AccountRow {
  accountId: string;
  name: string;
  openedAt: string;
  position: bigint;
}

export interface InvoiceRow {
  number: string;
  accountId: string;
  kind: string;
  wallet: string;
  plan: string;
  periodId: string;
  periodStartsAt: string;
  periodEndsAt: string;
  totalCents: bigint;
  catalogVersion: string;
  issuedAt: string;
  supplements: string | null;
  lineCount: number;
  position: bigint;
}

export interface InvoiceLineRow {
  number: string;
  lineNo: number;
  description: string;
  usageKind: string | null;
  quantity: bigint;
  unitPriceCents: bigint;
  amountCents: bigint;
}

/** What one account's events in the batch change: looked up once per event by account. */
class AccountChanges {
  readonly wallets = new Map<string, BalanceChange>();
  readonly lots = new Map<string, LotChange>();
  readonly periods = new Map<string, PeriodChange>();
  readonly holds = new Map<string, HoldChange>();
  /** day -> usage kind -> change; month -> usage kind -> change. */
  readonly daily = new Map<string, Map<string, UsageChange>>();
  readonly monthly = new Map<string, Map<string, UsageChange>>();
  constructor(readonly accountId: string) {}
}

/** Everything one batch writes. */
export class FinanceBatch {
  readonly entries = new EntryColumns();
  readonly accounts: AccountRow[] = [];
  readonly invoices: InvoiceRow[] = [];
  readonly invoiceLines: InvoiceLineRow[] = [];
  private readonly changes = new Map<string, AccountChanges>();
  /** Events seen (account events or not). */
  events = 0;
  first?: bigint;
  last?: bigint;

  get balances(): BalanceChange[] {
    return this.all((a) => a.wallets.values());
  }

  get lots(): LotChange[] {
    return this.all((a) => a.lots.values());
  }

  get periods(): PeriodChange[] {
    return this.all((a) => a.periods.values());
  }

  get holds(): HoldChange[] {
    return this.all((a) => a.holds.values());
  }

  get usageDaily(): UsageChange[] {
    return this.all((a) => [...a.daily.values()].flatMap((byKind) => [...byKind.values()]));
  }

  get usageMonthly(): UsageChange[] {
    return this.all((a) => [...a.monthly.values()].flatMap((byKind) => [...byKind.values()]));
  }

  private all<T>(f: (a: AccountChanges) => Iterable<T>): T[] {
    const out: T[] = [];
    for (const a of this.changes.values()) for (const x of f(a)) out.push(x);
    return out;
  }

  /** Folds one event of the log into the batch. Events must come in log order. */
  add(r: LogEvent): void {
    this.events++;
    this.first ??= r.position;
    this.last = r.position;
    if (!r.streamId.startsWith(ACCOUNT_PREFIX)) return;
    const accountId = r.streamId.slice(ACCOUNT_PREFIX.length);
    let a = this.changes.get(accountId);
    if (!a) this.changes.set(accountId, (a = new AccountChanges(accountId)));
    if (r.type === 'UsageCharged') this.charge(a, r.charge ?? chargeFields(r.data!), r.position);
    else if (isAccountEventType(r.type)) this.apply(a, { type: r.type, data: r.data } as StoredEvent, r.position);
  }

  private charge(a: AccountChanges, c: ChargeFields, position: bigint): void {
    const accountId = a.accountId;
    const overage = big(c.overage);
    const uncovered = big(c.uncovered);
    let drawn = 0n;
    for (const draw of c.draws) {
      const credits = big(draw.credits);
      drawn += credits;
      this.lot(a, draw.lotId, c.wallet, position).charged += credits;
    }
    const b = this.balance(a, c.wallet, position);
    b.charged += drawn;
    b.overage += overage;
    b.uncovered += uncovered;
    if (uncovered > 0n) b.exhausted = true;
    if (c.periodId) {
      const p = this.period(a, c.periodId, c.wallet, position);
      p.records += 1n;
      p.charged += drawn;
      p.overage += overage;
      p.uncovered += uncovered;
    }
    // The stored strings are the ledger's own (a wallet, a usage kind): taken as they are.
    this.entries.add(position, accountId, {
      kind: 'charge',
      wallet: c.wallet as WalletId,
      at: c.at,
      periodId: c.periodId,
      usageKind: c.usageKind as UsageKind,
      drawn,
      overage,
      uncovered,
    });
    const credits = big(c.credits);
    this.usage(a, a.daily, c.at.slice(0, 10), c.usageKind, credits, c.durationMs, overage, uncovered);
    this.usage(a, a.monthly, `${c.at.slice(0, 7)}-01`, c.usageKind, credits, c.durationMs, overage, uncovered);
  }

  private apply(a: AccountChanges, e: StoredEvent, position: bigint): void {
    const accountId = a.accountId;
    switch (e.type) {
      case 'AccountOpened':
        this.accounts.push({ accountId, name: e.data.name, openedAt: e.data.at, position });
        return;
      case 'PeriodStarted': {
        const d = e.data;
        const b = this.balance(a, d.wallet, position);
        b.setPeriod = true;
        b.plan = d.terms.plan;
        b.periodId = d.periodId;
        b.clearIf = null;
        const p = this.period(a, d.periodId, d.wallet, position);
        p.started = {
          plan: d.terms.plan,
          catalogVersion: d.terms.catalogVersion,
          reason: d.reason,
          startsAt: d.startsAt,
          endsAt: d.endsAt,
          monthlyCredits: big(d.terms.monthlyCredits),
          priceCents: big(d.terms.priceCents),
          overageCentsPerCredit: big(d.terms.overageCentsPerCredit),
        };
        p.autoRenew = d.terms.autoRenew;
        p.allowOverage = d.terms.allowOverage;
        return;
      }
      case 'PeriodEnded': {
        const d = e.data;
        const b = this.balance(a, d.wallet, position);
        if (b.setPeriod) {
          if (b.periodId === d.periodId) {
            b.plan = null;
            b.periodId = null;
          }
        } else b.clearIf = d.periodId;
        const p = this.period(a, d.periodId, d.wallet, position);
        p.endedAt = d.at;
        p.endReason = d.reason;
        return;
      }
      case 'PlanSettingsChanged': {
        const p = this.period(a, e.data.periodId, e.data.wallet, position);
        p.autoRenew = e.data.autoRenew;
        p.allowOverage = e.data.allowOverage;
        return;
      }
      case 'CreditsGranted': {
        const d = e.data;
        const credits = big(d.credits);
        const b = this.balance(a, d.wallet, position);
        b.granted += credits;
        b.exhausted = false;
        const l = this.lot(a, d.lotId, d.wallet, position);
        l.granted += credits;
        l.periodId = d.periodId;
        l.issuedAt = d.at;
        l.expiresAt = d.expiresAt;
        this.entries.add(position, accountId, { kind: 'grant', wallet: d.wallet, at: d.at, credits, lotId: d.lotId, periodId: d.periodId });
        return;
      }
      case 'UsageCharged':
        this.charge(a, chargeFields(e.data as unknown as Record<string, unknown>), position);
        return;
      case 'LotExpired': {
        const d = e.data;
        const credits = big(d.credits);
        this.balance(a, d.wallet, position).expired += credits;
        const l = this.lot(a, d.lotId, d.wallet, position);
        l.expired += credits;
        l.closure = 'expiry';
        l.closedAt = d.at;
        this.entries.add(position, accountId, { kind: 'expiry', wallet: d.wallet, at: d.at, credits, lotId: d.lotId });
        return;
      }
      case 'LotForfeited': {
        const d = e.data;
        const credits = big(d.credits);
        this.balance(a, d.wallet, position).forfeited += credits;
        const l = this.lot(a, d.lotId, d.wallet, position);
        l.forfeited += credits;
        l.closure = 'forfeit';
        l.closedAt = d.at;
        this.entries.add(position, accountId, { kind: 'forfeit', wallet: d.wallet, at: d.at, credits, lotId: d.lotId, reason: d.reason });
        return;
      }
      case 'LotClosureCorrected': {
        const d = e.data;
        const credits = big(d.credits);
        const b = this.balance(a, d.wallet, position);
        const l = this.lot(a, d.lotId, d.wallet, position);
        if (d.closure === 'expiry') {
          b.expired -= credits;
          l.expired -= credits;
        } else {
          b.forfeited -= credits;
          l.forfeited -= credits;
        }
        l.corrected += credits;
        this.entries.add(position, accountId, {
          kind: 'correction',
          wallet: d.wallet,
          at: d.at,
          credits,
          lotId: d.lotId,
          closure: d.closure,
        });
        return;
      }
      case 'InvoiceIssued': {
        const i = e.data.invoice;
        this.invoices.push({
          number: i.number,
          accountId: i.accountId,
          kind: i.kind,
          wallet: i.wallet,
          plan: i.plan,
          periodId: i.periodId,
          periodStartsAt: i.period.startsAt,
          periodEndsAt: i.period.endsAt,
          totalCents: big(i.totalCents),
          catalogVersion: i.catalogVersion,
          issuedAt: i.issuedAt,
          supplements: i.supplements ?? null,
          lineCount: i.lines.length,
          position,
        });
        i.lines.forEach((l, n) =>
          this.invoiceLines.push({
            number: i.number,
            lineNo: n + 1,
            description: l.description,
            usageKind: l.usageKind ?? null,
            quantity: big(l.quantity),
            unitPriceCents: big(l.unitPriceCents),
            amountCents: big(l.amountCents),
          }),
        );
        return;
      }
      case 'HoldPlaced': {
        const d = e.data;
        const h = this.hold(a, d.holdId, d.wallet, position);
        h.placed = {
          holdKey: d.holdKey,
          periodId: d.periodId,
          usageKind: d.request.kind,
          credits: big(d.credits),
          placedAt: d.at,
          expiresAt: d.expiresAt,
        };
        h.status = 'held';
        return;
      }
      case 'HoldCaptured':
      case 'HoldReleased':
      case 'HoldExpired': {
        const h = this.hold(a, e.data.holdId, e.data.wallet, position);
        h.status = e.type === 'HoldCaptured' ? 'captured' : e.type === 'HoldReleased' ? 'released' : 'expired';
        h.endedAt = e.data.at;
        return;
      }
      case 'RenderFailed':
      case 'PlanCancelled':
      case 'AutoRenewCapReached':
        return;
    }
  }

  private hold(a: AccountChanges, holdId: string, wallet: string, position: bigint): HoldChange {
    let h = a.holds.get(holdId);
    if (!h) {
      h = { accountId: a.accountId, holdId, wallet, placed: null, status: 'held', endedAt: null, position };
      a.holds.set(holdId, h);
    }
    h.position = position;
    return h;
  }

  private balance(a: AccountChanges, wallet: string, position: bigint): BalanceChange {
    let b = a.wallets.get(wallet);
    if (!b) {
      b = {
        accountId: a.accountId,
        wallet,
        setPeriod: false,
        plan: null,
        periodId: null,
        clearIf: null,
        granted: 0n,
        charged: 0n,
        expired: 0n,
        forfeited: 0n,
        overage: 0n,
        uncovered: 0n,
        exhausted: null,
        position,
      };
      a.wallets.set(wallet, b);
    }
    b.position = position;
    return b;
  }

  private lot(a: AccountChanges, lotId: string, wallet: string, position: bigint): LotChange {
    let l = a.lots.get(lotId);
    if (!l) {
      l = {
        accountId: a.accountId,
        lotId,
        wallet,
        periodId: null,
        issuedAt: null,
        expiresAt: null,
        granted: 0n,
        charged: 0n,
        expired: 0n,
        forfeited: 0n,
        corrected: 0n,
        closure: null,
        closedAt: null,
        position,
      };
      a.lots.set(lotId, l);
    }
    l.position = position;
    return l;
  }

  private period(a: AccountChanges, periodId: string, wallet: string, position: bigint): PeriodChange {
    let p = a.periods.get(periodId);
    if (!p) {
      p = {
        accountId: a.accountId,
        periodId,
        wallet,
        started: null,
        endedAt: null,
        endReason: null,
        autoRenew: null,
        allowOverage: null,
        records: 0n,
        charged: 0n,
        overage: 0n,
        uncovered: 0n,
        position,
      };
      a.periods.set(periodId, p);
    }
    p.position = position;
    return p;
  }

  private usage(
    a: AccountChanges,
    into: Map<string, Map<string, UsageChange>>,
    bucket: string,
    usageKind: string,
    credits: bigint,
    durationMs: number,
    overage: bigint,
    uncovered: bigint,
  ): void {
    let byKind = into.get(bucket);
    if (!byKind) into.set(bucket, (byKind = new Map()));
    let u = byKind.get(usageKind);
    if (!u) {
      u = { accountId: a.accountId, bucket, usageKind, records: 0, credits: 0n, durationMs: 0, overage: 0n, uncovered: 0n };
      byKind.set(usageKind, u);
    }
    u.records += 1;
    u.credits += credits;
    u.durationMs += durationMs; // whole milliseconds: exact far beyond any month of usage
    u.overage += overage;
    u.uncovered += uncovered;
  }
}
