// The finance API (api.md "Reading"): entries with filters and cursor pages, invoices, usage by
// kind and day or month. Served from the read models.
import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { accountFilterOf, Caller } from '@ledger/domain';
import { CallerOf } from '../access/caller';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { dayOf, EntriesQuery, InvoicesQuery, UsageQuery } from './finance.dto';
import { Result } from '../kit/failure';
import { unwrap } from '../kit/http-errors';
import { AccountIdPipe, MAX_LENGTH, TextPipe } from '../kit/input-limits';
import { GetEntriesPage, GetInvoiceByNumber, GetUsage, instant, ListInvoicesPage } from './finance.queries';

@ApiTags('reading')
@Controller('v1')
export class FinanceController {
  constructor(private readonly queries: QueryBus) {}

  private async ask(query: GetEntriesPage | ListInvoicesPage | GetInvoiceByNumber | GetUsage) {
    return unwrap(await this.queries.execute<typeof query, Result<object>>(query));
  }

  @Get('accounts/:id/entries')
  @ApiOperation({
    summary:
      'Ledger entries, oldest first (log order), each naming its cause and provenance; pages of `limit` with `nextCursor`. With asOf: as they stood then, from history.',
  })
  entries(@Param('id', new AccountIdPipe()) id: string, @Query() q: EntriesQuery) {
    return this.ask(
      new GetEntriesPage(
        id,
        { kinds: q.kind?.split(','), wallet: q.wallet, from: instant(q.from), to: instant(q.to) },
        q.cursor,
        q.limit,
        instant(q.asOf),
      ),
    );
  }

  @Get('invoices')
  @ApiOperation({ summary: 'Invoices in issue order, filtered by account, kind and issue time; pages of `limit` with `nextCursor`.' })
  invoices(@Query() q: InvoicesQuery, @CallerOf() caller?: Caller) {
    return this.ask(
      new ListInvoicesPage(
        { accountId: accountFilterOf(caller, q.accountId), kind: q.kind, from: instant(q.from), to: instant(q.to) },
        q.cursor,
        q.limit,
      ),
    );
  }

  @Get('invoices/:number')
  invoice(@Param('number', new TextPipe('number', MAX_LENGTH.invoiceNumber)) number: string, @CallerOf() caller?: Caller) {
    return this.ask(new GetInvoiceByNumber(number, caller));
  }

  @Get('usage')
  @ApiOperation({ summary: 'Usage by account, usage kind and UTC day or month: records, credits (as priced), durations; totals by kind.' })
  usage(@Query() q: UsageQuery, @CallerOf() caller?: Caller) {
    return this.ask(
      new GetUsage({
        accountId: accountFilterOf(caller, q.accountId),
        from: q.from && dayOf(q.from),
        to: q.to && dayOf(q.to),
        groupBy: q.groupBy ?? 'day',
      }),
    );
  }
}
