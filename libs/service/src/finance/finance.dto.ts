// Query parameters of the finance routes, validated at the door (400 naming the field).
import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, ValidateBy, ValidationOptions } from 'class-validator';
import { WALLETS, WalletId } from '@ledger/domain';
import { IsInstant } from '../kit/is-instant';
import { IsAccountId } from '../kit/input-limits';

export const ENTRY_KINDS = ['grant', 'charge', 'expiry', 'forfeit', 'overage', 'uncovered', 'correction'] as const;
export const INVOICE_KINDS = ['plan', 'overage'] as const;
export const MAX_PAGE = 10_000;
export const DEFAULT_PAGE = 1_000;

const KIND_LIST = new RegExp(`^(${ENTRY_KINDS.join('|')})(,(${ENTRY_KINDS.join('|')}))*$`);

/** A UTC day: `YYYY-MM-DD`, or an instant at 00:00 UTC (usage is kept per day, so no other instant can be answered exactly); `date` in the OpenAPI document. */
export function IsDay(options?: ValidationOptions) {
  return applyDecorators(ApiProperty({ type: String, format: 'date' }), isDay(options));
}

function isDay(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isDay',
      validator: {
        validate: (v: unknown) => typeof v === 'string' && dayOf(v) !== undefined,
        defaultMessage: () => '$property must be a day (YYYY-MM-DD) or an instant at 00:00 UTC: usage is kept per UTC day',
      },
    },
    options,
  );
}

/** `YYYY-MM-DD` of a day bound, or undefined when it is not one. */
export function dayOf(v: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    const d = new Date(`${v}T00:00:00.000Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v ? v : undefined;
  }
  if (!/T/.test(v) || !/(Z|[+-]\d{2}(:?\d{2})?)$/i.test(v)) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  const iso = new Date(t).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : undefined;
}

class Page {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  limit?: number;
}

export class EntriesQuery extends Page {
  @ApiPropertyOptional({ description: `one kind or a comma-separated list: ${ENTRY_KINDS.join(', ')}`, pattern: KIND_LIST.source })
  @IsOptional()
  @Matches(KIND_LIST, { message: `kind must be one or more (comma-separated) of ${ENTRY_KINDS.join(', ')}` })
  kind?: string;

  @ApiPropertyOptional({ enum: WALLETS })
  @IsOptional()
  @IsIn(WALLETS)
  wallet?: WalletId;

  @ApiPropertyOptional({ description: 'entries whose time (event time) is at or after this instant' })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'entries whose time is before this instant' })
  @IsOptional()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional({ description: 'the entries as they stood at this instant, from history (not from the read models)' })
  @IsOptional()
  @IsInstant()
  asOf?: string;
}

export class InvoicesQuery extends Page {
  @ApiPropertyOptional() @IsOptional() @IsAccountId() accountId?: string;
  @ApiPropertyOptional({ description: 'invoices issued at or after this instant' }) @IsOptional() @IsInstant() from?: string;
  @ApiPropertyOptional({ description: 'invoices issued before this instant' }) @IsOptional() @IsInstant() to?: string;
  @ApiPropertyOptional({ enum: INVOICE_KINDS }) @IsOptional() @IsIn(INVOICE_KINDS) kind?: (typeof INVOICE_KINDS)[number];
}

export class UsageQuery {
  @ApiPropertyOptional() @IsOptional() @IsAccountId() accountId?: string;
  @ApiPropertyOptional({ description: 'first day (YYYY-MM-DD, or an instant at 00:00 UTC)' }) @IsOptional() @IsDay() from?: string;
  @ApiPropertyOptional({ description: 'day after the last (exclusive)' }) @IsOptional() @IsDay() to?: string;
  @ApiPropertyOptional({ enum: ['day', 'month'], default: 'day' }) @IsOptional() @IsIn(['day', 'month']) groupBy?: 'day' | 'month';
}

export const CREDIT_FLOW_GROUPS = ['day', 'month'] as const;

/** GET /v1/reports/credit-flows and its CSV: every filter optional. */
export class CreditFlowsQuery {
  @ApiPropertyOptional({ description: 'only this account (its items then name it)' }) @IsOptional() @IsAccountId() accountId?: string;
  @ApiPropertyOptional({ enum: WALLETS }) @IsOptional() @IsIn(WALLETS) wallet?: WalletId;
  @ApiPropertyOptional({ description: 'first day (YYYY-MM-DD, or an instant at 00:00 UTC) of the event time of the entries' })
  @IsOptional()
  @IsDay()
  from?: string;
  @ApiPropertyOptional({ description: 'day after the last (exclusive)' }) @IsOptional() @IsDay() to?: string;
  @ApiPropertyOptional({ enum: CREDIT_FLOW_GROUPS, default: 'month', description: 'UTC day or month of the event time of the entries' })
  @IsOptional()
  @IsIn(CREDIT_FLOW_GROUPS)
  groupBy?: (typeof CREDIT_FLOW_GROUPS)[number];
}

export class CreditFlowDto {
  @ApiProperty({ example: '2026-01', description: 'YYYY-MM (groupBy=month) or YYYY-MM-DD (day), UTC, of the event time of the entries' })
  period!: string;
  @ApiPropertyOptional({ description: 'present when the report is of one account (accountId given)' }) accountId?: string;
  @ApiProperty({ enum: WALLETS }) wallet!: string;
  @ApiProperty({ example: '100', description: 'credits granted: the sum of the grant entries' }) granted!: string;
  @ApiProperty({ example: '42.5', description: 'credits drawn from lots by usage: the charge entries, negated' }) consumed!: string;
  @ApiProperty({ example: '57.5', description: 'credits left in lots at their expiry: the expiry entries, negated' }) expired!: string;
  @ApiProperty({ example: '0', description: 'credits forfeited (renewal, free grant replaced): the forfeit entries, negated' })
  forfeited!: string;
  @ApiProperty({ example: '0', description: 'credits given back to lots by corrections of a closure (late usage): the correction entries' })
  corrected!: string;
  @ApiProperty({ example: '0', description: 'usage beyond the credits, to be invoiced: the overage entries' }) overage!: string;
  @ApiProperty({ example: '0', description: 'usage no credit covered (arrears): the uncovered entries' }) uncovered!: string;
  @ApiProperty({
    example: '0',
    description: 'what the lots gained or lost: granted - consumed - expired - forfeited + corrected (the sum of those entries)',
  })
  net!: string;
}

export class CreditFlowsDto {
  @ApiPropertyOptional() accountId?: string;
  @ApiPropertyOptional({ enum: WALLETS }) wallet?: string;
  @ApiPropertyOptional({ description: 'first day' }) from?: string;
  @ApiPropertyOptional({ description: 'day after the last' }) to?: string;
  @ApiProperty({ enum: CREDIT_FLOW_GROUPS }) groupBy!: string;
  @ApiProperty({ type: [CreditFlowDto], description: 'oldest period first, then by wallet; only periods with entries' })
  items!: CreditFlowDto[];
}

/** A period to export: both ends required. */
export class ExportQuery {
  @ApiPropertyOptional() @IsOptional() @IsAccountId() accountId?: string;
  @ApiProperty({ description: 'start of the period (inclusive), an instant with its UTC offset' }) @IsInstant() from!: string;
  @ApiProperty({ description: 'end of the period (exclusive)' }) @IsInstant() to!: string;
}

export class UsageExportQuery {
  @ApiPropertyOptional() @IsOptional() @IsAccountId() accountId?: string;
  @ApiProperty({ description: 'first day (YYYY-MM-DD, or an instant at 00:00 UTC)' }) @IsDay() from!: string;
  @ApiProperty({ description: 'day after the last (exclusive)' }) @IsDay() to!: string;
  @ApiPropertyOptional({ enum: ['day', 'month'], default: 'day' }) @IsOptional() @IsIn(['day', 'month']) groupBy?: 'day' | 'month';
}
