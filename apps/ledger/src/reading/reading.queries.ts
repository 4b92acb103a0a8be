// Reads answered from the account streams (history is the source of truth).
import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { authorize, AuthorizationRequest, balanceAt, Instant, Invoice, isAccountEventType, decodeAccountEvent } from '@ledger/domain';
import { EVENT_STORE, EventStore } from '@ledger/event-store';
import { AccountLedger } from '../accounts/account-ledger';
import { CLOCK, Clock } from '../clock/clock';
import { LEDGER_CONFIG, LedgerConfig } from '../config/ledger-config';
import { ApiError } from '../http/errors';
import { balanceView, entriesOf, invoiceView } from './views';

export class GetBalance { constructor(readonly accountId: string, readonly asOf?: Instant) {} }
export class GetEntries { constructor(readonly accountId: string) {} }
export class ListInvoices { constructor(readonly accountId?: string, readonly from?: Instant, readonly to?: Instant) {} }
export class GetInvoice { constructor(readonly number: string) {} }
export class Authorize { constructor(readonly accountId: string, readonly request: AuthorizationRequest) {} }

const unknownAccount = (id: string) => new ApiError(404, 'account_not_found', `unknown account ${id}`, [{ field: 'accountId', message: 'no such account' }]);

async function historyOf(ledger: AccountLedger, accountId: string) {
  const history = await ledger.history(accountId);
  if (history.length === 0) throw unknownAccount(accountId);
  return history;
}

@QueryHandler(GetBalance)
export class GetBalanceHandler implements IQueryHandler<GetBalance> {
  constructor(private readonly ledger: AccountLedger, @Inject(CLOCK) private readonly clock: Clock) {}
  async execute(q: GetBalance) {
    const history = await historyOf(this.ledger, q.accountId);
    return balanceView(balanceAt(q.accountId, history.map((h) => h.event), q.asOf ?? this.clock.now()));
  }
}

@QueryHandler(GetEntries)
export class GetEntriesHandler implements IQueryHandler<GetEntries> {
  constructor(private readonly ledger: AccountLedger) {}
  async execute(q: GetEntries) {
    const history = await historyOf(this.ledger, q.accountId);
    return { accountId: q.accountId, entries: history.flatMap((h) => entriesOf(h.event, h.recorded)) };
  }
}

const inRange = (i: Invoice, from?: Instant, to?: Instant) => (!from || i.issuedAt >= from) && (!to || i.issuedAt < to);

@QueryHandler(ListInvoices)
export class ListInvoicesHandler implements IQueryHandler<ListInvoices> {
  constructor(private readonly ledger: AccountLedger, @Inject(EVENT_STORE) private readonly store: EventStore) {}
  async execute(q: ListInvoices) {
    const invoices: Invoice[] = [];
    if (q.accountId) {
      for (const h of await historyOf(this.ledger, q.accountId)) if (h.event.type === 'InvoiceIssued') invoices.push(h.event.data.invoice);
    } else {
      // No read model yet: scan the log (issue 4 brings the invoice projection).
      for (let after = 0n; ;) {
        const page = await this.store.readAll(after, 5000);
        if (page.length === 0) break;
        for (const r of page) {
          after = r.globalPosition;
          if (r.type === 'InvoiceIssued' && isAccountEventType(r.type)) {
            const e = decodeAccountEvent(r.type, r.data);
            if (e.type === 'InvoiceIssued') invoices.push(e.data.invoice);
          }
        }
      }
    }
    return { invoices: invoices.filter((i) => inRange(i, q.from, q.to)).map(invoiceView) };
  }
}

@QueryHandler(GetInvoice)
export class GetInvoiceHandler implements IQueryHandler<GetInvoice> {
  constructor(private readonly ledger: AccountLedger) {}
  async execute(q: GetInvoice) {
    const m = /^INV-(.+)-(\d{4,})$/.exec(q.number);
    const notFound = new ApiError(404, 'invoice_not_found', `unknown invoice ${q.number}`, [{ field: 'number', message: 'no such invoice' }]);
    if (!m) throw notFound;
    const history = await this.ledger.history(m[1]);
    const found = history.find((h) => h.event.type === 'InvoiceIssued' && h.event.data.invoice.number === q.number);
    if (!found || found.event.type !== 'InvoiceIssued') throw notFound;
    return invoiceView(found.event.data.invoice);
  }
}

@QueryHandler(Authorize)
export class AuthorizeHandler implements IQueryHandler<Authorize> {
  constructor(private readonly ledger: AccountLedger, @Inject(CLOCK) private readonly clock: Clock, @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig) {}
  async execute(q: Authorize) {
    const { state, version } = await this.ledger.read(q.accountId);
    if (version === 0) throw unknownAccount(q.accountId);
    return authorize(state, q.request, this.clock.now(), this.config.book);
  }
}

export const READING_HANDLERS = [GetBalanceHandler, GetEntriesHandler, ListInvoicesHandler, GetInvoiceHandler, AuthorizeHandler];
