// The finance API's queries. Served from the read models, after waiting for them to reach the
// log's head as of the request (read-your-writes); entries as of an instant come from history.
// Each answers a Result: a failure (unknown account, projection behind, bad cursor) is data here.
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { accountFilterOf, Caller, eventTime, formatCredits, Instant, mayRead, toInstant } from '@ledger/domain';
import { AccountLedger } from '../accounts/account-ledger';
import { failed, invalid, ok, Result, unknownAccount } from '../kit/failure';
import { entriesOf } from '../reading/views';
import { decodeCursor, encodeCursor, LogPlace } from './cursor';
import { CreditFlowsQuery, dayOf, DEFAULT_PAGE } from './finance.dto';
import { CreditFlowFilter, CreditFlowRow, EntryFilter, FinanceReadModel, InvoiceFilter, UsageFilter, UsageRow } from './finance-read-model';

export class GetEntriesPage {
  constructor(
    readonly accountId: string,
    readonly filter: EntryFilter,
    readonly cursor?: string,
    readonly limit?: number,
    readonly asOf?: Instant,
  ) {}
}
export class ListInvoicesPage {
  constructor(
    readonly filter: InvoiceFilter,
    readonly cursor?: string,
    readonly limit?: number,
  ) {}
}
export class GetInvoiceByNumber {
  /** `caller`: a key bound to one account sees only that account's invoices; another's is unknown. */
  constructor(
    readonly number: string,
    readonly caller?: Caller,
  ) {}
}
export class GetUsage {
  constructor(readonly filter: UsageFilter) {}
}
/** Credit flows; `accountId` in the filter restricts them to that account (what a caller bound to one account may see). */
export class GetCreditFlows {
  constructor(
    readonly filter: {
      accountId?: string;
      wallet?: string;
      /** Days, YYYY-MM-DD; `to` exclusive. */
      from?: string;
      to?: string;
      groupBy: 'day' | 'month';
    },
  ) {}
}

@QueryHandler(GetEntriesPage)
export class GetEntriesPageHandler implements IQueryHandler<GetEntriesPage> {
  constructor(
    private readonly readModel: FinanceReadModel,
    private readonly ledger: AccountLedger,
  ) {}

  async execute(q: GetEntriesPage): Promise<Result<object>> {
    const cursor = decodeCursor('entries', q.cursor);
    if (!cursor.ok) return cursor;
    const after = cursor.value;
    const limit = q.limit ?? DEFAULT_PAGE;
    if (q.asOf) return this.fromHistory(q, after, limit);
    const unreadable = await this.readModel.readable(q.accountId);
    if (unreadable) return { ok: false, failure: unreadable };
    const page = await this.readModel.entriesPage(q.accountId, q.filter, after, limit);
    return ok({ accountId: q.accountId, entries: page.entries, nextCursor: page.next ? encodeCursor('entries', page.next) : null });
  }

  /** Point in time: the entries of the events whose event time is at or before `asOf`, folded from the account's stream. */
  private async fromHistory(q: GetEntriesPage, after: LogPlace | undefined, limit: number) {
    const history = await this.ledger.history(q.accountId);
    if (history.length === 0) return { ok: false as const, failure: unknownAccount(q.accountId) };
    const f = q.filter;
    const kinds = f.kinds?.length ? new Set(f.kinds) : undefined;
    const entries: (ReturnType<typeof entriesOf>[number] & { place: LogPlace })[] = [];
    for (const h of history) {
      if (eventTime(h.event) > q.asOf!) continue;
      entriesOf(h.event, h.recorded).forEach((e, seq) => {
        const place = { position: h.recorded.globalPosition, seq };
        if (after && (place.position < after.position || (place.position === after.position && seq <= after.seq))) return;
        if (kinds && !kinds.has(e.kind)) return;
        if (f.wallet && e.wallet !== f.wallet) return;
        if (f.from && e.at < f.from) return;
        if (f.to && e.at >= f.to) return;
        entries.push({ ...e, place });
      });
    }
    const page = entries.slice(0, limit);
    const next = entries.length > limit ? page[page.length - 1].place : undefined;
    return ok({
      accountId: q.accountId,
      asOf: q.asOf,
      entries: page.map(({ place: _place, ...e }) => e),
      nextCursor: next ? encodeCursor('entries', next) : null,
    });
  }
}

@QueryHandler(ListInvoicesPage)
export class ListInvoicesPageHandler implements IQueryHandler<ListInvoicesPage> {
  constructor(private readonly readModel: FinanceReadModel) {}

  async execute(q: ListInvoicesPage): Promise<Result<object>> {
    const cursor = decodeCursor('invoices', q.cursor);
    if (!cursor.ok) return cursor;
    const unreadable = await this.readModel.readable(q.filter.accountId);
    if (unreadable) return { ok: false, failure: unreadable };
    const page = await this.readModel.invoicesPage(q.filter, cursor.value, q.limit ?? DEFAULT_PAGE);
    return ok({ invoices: page.invoices, nextCursor: page.next ? encodeCursor('invoices', page.next) : null });
  }
}

@QueryHandler(GetInvoiceByNumber)
export class GetInvoiceByNumberHandler implements IQueryHandler<GetInvoiceByNumber> {
  constructor(private readonly readModel: FinanceReadModel) {}

  async execute(q: GetInvoiceByNumber): Promise<Result<object>> {
    const unreadable = await this.readModel.readable();
    if (unreadable) return { ok: false, failure: unreadable };
    const invoice = await this.readModel.invoice(q.number);
    if (!invoice || !mayRead(q.caller, invoice.accountId))
      return failed('invoice_not_found', `unknown invoice ${q.number}`, [{ field: 'number', message: 'no such invoice' }]);
    return ok(invoice);
  }
}

export const usageRowView = (r: UsageRow) => ({
  accountId: r.accountId,
  period: r.period,
  usageKind: r.usageKind,
  records: r.records,
  credits: formatCredits(r.credits),
  durationMs: r.durationMs,
  overage: formatCredits(r.overage),
  uncovered: formatCredits(r.uncovered),
});

@QueryHandler(GetUsage)
export class GetUsageHandler implements IQueryHandler<GetUsage> {
  constructor(private readonly readModel: FinanceReadModel) {}

  async execute(q: GetUsage): Promise<Result<UsageAnswer>> {
    const f = q.filter;
    if (f.from && f.to && f.from >= f.to) return { ok: false, failure: invalid('to', 'to must be after from', 'must be after from') };
    const unreadable = await this.readModel.readable(f.accountId);
    if (unreadable) return { ok: false, failure: unreadable };
    const rows = await this.readModel.usage(f);
    // Totals by usage kind over the whole answer (sums of integers, then formatted).
    const totals = new Map<
      string,
      { usageKind: string; records: number; credits: bigint; durationMs: number; overage: bigint; uncovered: bigint }
    >();
    for (const r of rows) {
      const t = totals.get(r.usageKind) ?? { usageKind: r.usageKind, records: 0, credits: 0n, durationMs: 0, overage: 0n, uncovered: 0n };
      t.records += r.records;
      t.credits += r.credits;
      t.durationMs += r.durationMs;
      t.overage += r.overage;
      t.uncovered += r.uncovered;
      totals.set(r.usageKind, t);
    }
    const credits = rows.reduce((s, r) => s + r.credits, 0n);
    return ok({
      ...(f.accountId ? { accountId: f.accountId } : {}),
      ...(f.from ? { from: f.from } : {}),
      ...(f.to ? { to: f.to } : {}),
      groupBy: f.groupBy,
      usage: rows.map(usageRowView),
      totals: {
        credits: formatCredits(credits),
        records: rows.reduce((s, r) => s + r.records, 0),
        byKind: [...totals.values()]
          .sort((a, b) => a.usageKind.localeCompare(b.usageKind))
          .map((t) => ({
            usageKind: t.usageKind,
            records: t.records,
            credits: formatCredits(t.credits),
            durationMs: t.durationMs,
            overage: formatCredits(t.overage),
            uncovered: formatCredits(t.uncovered),
          })),
      },
    });
  }
}

export interface UsageAnswer {
  accountId?: string;
  from?: string;
  to?: string;
  groupBy: 'day' | 'month';
  usage: ReturnType<typeof usageRowView>[];
  totals: { credits: string; records: number; byKind: object[] };
}

/** The query of a credit-flows report, from its validated parameters (the CSV export takes the same). */
/** The report a query asks for; `caller`: a key bound to one account gets that account's, whatever the query says. */
export const creditFlowsOf = (q: CreditFlowsQuery, caller?: Caller): GetCreditFlows =>
  new GetCreditFlows({
    accountId: accountFilterOf(caller, q.accountId),
    wallet: q.wallet,
    from: q.from && dayOf(q.from),
    to: q.to && dayOf(q.to),
    groupBy: q.groupBy ?? 'month',
  });

export const creditFlowView = (r: CreditFlowRow, accountId?: string) => ({
  period: r.period,
  ...(accountId ? { accountId } : {}),
  wallet: r.wallet,
  granted: formatCredits(r.granted),
  consumed: formatCredits(r.consumed),
  expired: formatCredits(r.expired),
  forfeited: formatCredits(r.forfeited),
  corrected: formatCredits(r.corrected),
  overage: formatCredits(r.overage),
  uncovered: formatCredits(r.uncovered),
  net: formatCredits(r.net),
});

export interface CreditFlowsAnswer {
  accountId?: string;
  wallet?: string;
  from?: string;
  to?: string;
  groupBy: 'day' | 'month';
  items: ReturnType<typeof creditFlowView>[];
}

@QueryHandler(GetCreditFlows)
export class GetCreditFlowsHandler implements IQueryHandler<GetCreditFlows> {
  constructor(private readonly readModel: FinanceReadModel) {}

  async execute(q: GetCreditFlows): Promise<Result<CreditFlowsAnswer>> {
    const f = q.filter;
    if (f.from && f.to && f.from >= f.to) return { ok: false, failure: invalid('to', 'to must be after from', 'must be after from') };
    const unreadable = await this.readModel.readable(f.accountId);
    if (unreadable) return { ok: false, failure: unreadable };
    const filter: CreditFlowFilter = {
      accountId: f.accountId,
      wallet: f.wallet,
      from: f.from && `${f.from}T00:00:00.000Z`,
      to: f.to && `${f.to}T00:00:00.000Z`,
      groupBy: f.groupBy,
    };
    const rows = await this.readModel.creditFlows(filter);
    return ok({
      ...(f.accountId ? { accountId: f.accountId } : {}),
      ...(f.wallet ? { wallet: f.wallet } : {}),
      ...(f.from ? { from: f.from } : {}),
      ...(f.to ? { to: f.to } : {}),
      groupBy: f.groupBy,
      items: rows.map((r) => creditFlowView(r, f.accountId)),
    });
  }
}

/** Instants as the read models compare them (normalised ISO). */
export const instant = (v: string | undefined): string | undefined => (v === undefined ? undefined : toInstant(v));

export const FINANCE_HANDLERS = [
  GetEntriesPageHandler,
  ListInvoicesPageHandler,
  GetInvoiceByNumberHandler,
  GetUsageHandler,
  GetCreditFlowsHandler,
];
