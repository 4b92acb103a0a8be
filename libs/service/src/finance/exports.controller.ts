// CSV exports of a period for finance: entries, usage and invoice lines. Streamed page by page
// from the read models; credits as exact decimal strings, money in integer cents.
import { Controller, Get, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { accountFilterOf, Caller, formatCredits } from '@ledger/domain';
import { CallerOf } from '../access/caller';
import { Result } from '../kit/failure';
import { ApiError, httpError, unwrap } from '../kit/http-errors';
import { csvLine, csvNumber } from './csv';
import { CreditFlowsQuery, dayOf, ExportQuery, UsageExportQuery } from './finance.dto';
import { FinanceReadModel } from './finance-read-model';
import { CreditFlowsAnswer, creditFlowsOf, GetCreditFlows, GetUsage, instant, UsageAnswer } from './finance.queries';

const big = (v: bigint | string | number) => (typeof v === 'bigint' ? v : BigInt(v));
const iso = (v: Date | string | null) => (v === null ? '' : v instanceof Date ? v.toISOString() : new Date(v).toISOString());

@ApiTags('exports')
@Controller('v1/exports')
export class ExportsController {
  constructor(
    private readonly readModel: FinanceReadModel,
    private readonly queries: QueryBus,
  ) {}

  @Get('entries.csv')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'Ledger entries whose time is in [from, to), in time order, with provenance' })
  async entries(@Query() q: ExportQuery, @Res() res: Response, @CallerOf() caller?: Caller): Promise<void> {
    const f = await this.period(q, caller);
    this.start(res, `entries_${fileDate(f.from)}_${fileDate(f.to)}.csv`);
    res.write(
      csvLine([
        'position',
        'seq',
        'account_id',
        'wallet',
        'kind',
        'at',
        'credits',
        'lot_id',
        'period_id',
        'usage_kind',
        'usage_source',
        'usage_id',
        'reason',
        'recorded_at',
        'provenance',
      ]),
    );
    await this.stream(res, this.readModel.exportEntries(f), (r) =>
      csvLine([
        csvNumber(r.position),
        csvNumber(r.seq),
        r.account_id,
        r.wallet,
        r.kind,
        iso(r.at),
        csvNumber(formatCredits(big(r.credits))),
        r.lot_id,
        r.period_id,
        r.usage_kind,
        r.usage_source,
        r.usage_id,
        r.reason,
        iso(r.recorded_at),
        r.provenance,
      ]),
    );
  }

  @Get('invoices.csv')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'Invoice lines of the invoices issued in [from, to): one row per line, with its invoice' })
  async invoices(@Query() q: ExportQuery, @Res() res: Response, @CallerOf() caller?: Caller): Promise<void> {
    const f = await this.period(q, caller);
    this.start(res, `invoices_${fileDate(f.from)}_${fileDate(f.to)}.csv`);
    res.write(
      csvLine([
        'number',
        'account_id',
        'kind',
        'wallet',
        'plan',
        'period_id',
        'period_starts_at',
        'period_ends_at',
        'issued_at',
        'supplements',
        'catalog_version',
        'invoice_total_cents',
        'line_no',
        'description',
        'usage_kind',
        'quantity',
        'unit_price_cents',
        'amount_cents',
      ]),
    );
    await this.stream(res, this.readModel.exportInvoiceLines(f), (r) =>
      csvLine([
        r.number,
        r.account_id,
        r.kind,
        r.wallet,
        r.plan,
        r.period_id,
        iso(r.period_starts_at),
        iso(r.period_ends_at),
        iso(r.issued_at),
        r.supplements,
        r.catalog_version,
        big(r.total_cents),
        csvNumber(r.line_no),
        r.description,
        r.usage_kind,
        csvNumber(formatCredits(big(r.quantity))),
        big(r.unit_price_cents),
        big(r.amount_cents),
      ]),
    );
  }

  @Get('usage.csv')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'Usage by account, usage kind and UTC day (or month) of [from, to)' })
  async usage(@Query() q: UsageExportQuery, @Res() res: Response, @CallerOf() caller?: Caller): Promise<void> {
    const groupBy = q.groupBy ?? 'day';
    const answer = unwrap(
      await this.queries.execute<GetUsage, Result<UsageAnswer>>(
        new GetUsage({ accountId: accountFilterOf(caller, q.accountId), from: dayOf(q.from), to: dayOf(q.to), groupBy }),
      ),
    );
    this.start(res, `usage_${groupBy}_${dayOf(q.from)}_${dayOf(q.to)}.csv`);
    res.write(csvLine(['account_id', groupBy, 'usage_kind', 'records', 'credits', 'duration_ms', 'overage', 'uncovered']));
    for (const u of answer.usage) {
      res.write(
        csvLine([
          u.accountId,
          u.period,
          u.usageKind,
          csvNumber(u.records),
          csvNumber(u.credits),
          csvNumber(u.durationMs),
          csvNumber(u.overage),
          csvNumber(u.uncovered),
        ]),
      );
    }
    res.end();
  }

  @Get('credit-flows.csv')
  @ApiProduces('text/csv')
  @ApiOperation({
    summary:
      'GET /v1/reports/credit-flows as CSV, the same filters: one row per UTC day (or month) and wallet; account_id is empty when the report is of every account',
  })
  @ApiOkResponse({
    description: 'columns: day or month, account_id, wallet, granted, consumed, expired, forfeited, corrected, overage, uncovered, net',
    content: { 'text/csv': { schema: { type: 'string' } } },
  })
  async creditFlows(@Query() q: CreditFlowsQuery, @Res() res: Response, @CallerOf() caller?: Caller): Promise<void> {
    const query = creditFlowsOf(q, caller);
    const answer = unwrap(await this.queries.execute<GetCreditFlows, Result<CreditFlowsAnswer>>(query));
    const f = query.filter;
    const name = ['credit-flows', f.groupBy, f.accountId, f.wallet, f.from, f.to].filter((x) => x !== undefined).join('_');
    this.start(res, `${name}.csv`);
    res.write(
      csvLine([
        f.groupBy,
        'account_id',
        'wallet',
        'granted',
        'consumed',
        'expired',
        'forfeited',
        'corrected',
        'overage',
        'uncovered',
        'net',
      ]),
    );
    for (const r of answer.items) {
      res.write(
        csvLine([
          r.period,
          f.accountId,
          r.wallet,
          csvNumber(r.granted),
          csvNumber(r.consumed),
          csvNumber(r.expired),
          csvNumber(r.forfeited),
          csvNumber(r.corrected),
          csvNumber(r.overage),
          csvNumber(r.uncovered),
          csvNumber(r.net),
        ]),
      );
    }
    res.end();
  }

  /** Validates the period, waits for the read models, checks the account. */
  private async period(q: ExportQuery, caller: Caller | undefined): Promise<{ accountId?: string; from: string; to: string }> {
    const accountId = accountFilterOf(caller, q.accountId);
    const from = instant(q.from)!;
    const to = instant(q.to)!;
    if (from >= to) throw new ApiError(400, 'invalid', 'to must be after from', [{ field: 'to', message: 'must be after from' }]);
    const unreadable = await this.readModel.readable(accountId);
    if (unreadable) throw httpError(unreadable);
    return { accountId, from, to };
  }

  private start(res: Response, filename: string): void {
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  }

  /** Writes pages as they come, respecting backpressure; a failure mid-way cuts the response (no silent partial file). */
  private async stream<R>(res: Response, pages: AsyncGenerator<R[]>, line: (r: R) => string): Promise<void> {
    try {
      for await (const rows of pages) {
        if (!res.write(rows.map(line).join(''))) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    } catch (err) {
      res.destroy(err as Error);
    }
  }
}

const fileDate = (i: string) => i.replace(/[:.]/g, '').replace(/T000000000Z$/, '');
