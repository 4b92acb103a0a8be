import { IsInstant } from '../kit/is-instant';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { Authorization, formatCredits, toInstant } from '@ledger/domain';
import { httpError, unwrap } from '../kit/http-errors';
import { AccountIdPipe } from '../kit/input-limits';
import { ApiEstimateBody, estimateOf, UsageEstimateDto } from '../usage/usage-estimate';
import { Authorize, GetBalance } from './reading.queries';
import { ApiFailures } from '../kit/openapi-answers';

export class AsOfQuery {
  @ApiPropertyOptional() @IsOptional() @IsInstant() asOf?: string;
}

/** POST /v1/authorizations: what may run (usage/usage-estimate.ts, shared with holds). */
export class AuthorizationDto extends UsageEstimateDto {}

@ApiTags('reading')
@Controller('v1')
export class ReadingController {
  constructor(private readonly queries: QueryBus) {}

  @Get('accounts/:id/balances')
  async balances(@Param('id', new AccountIdPipe()) id: string, @Query() q: AsOfQuery) {
    return unwrap(await this.queries.execute(new GetBalance(id, q.asOf ? toInstant(q.asOf) : undefined)));
  }

  // Entries and invoices: finance/finance.controller.ts, from the read models (entries asOf from history).

  @Post('authorizations')
  @ApiEstimateBody(AuthorizationDto)
  @ApiResponse({ status: 200, description: 'whether the work may run, and why not' })
  @ApiFailures('account_not_found')
  @HttpCode(200)
  async authorize(@Body() b: AuthorizationDto) {
    const estimate = estimateOf(b);
    if (!estimate.ok) throw httpError(estimate.failure);
    const a: Authorization = unwrap(await this.queries.execute(new Authorize(b.accountId, estimate.request)));
    return {
      allowed: a.allowed,
      reasons: a.reasons,
      estimatedCredits: formatCredits(a.estimatedCredits),
      available: formatCredits(a.available),
    };
  }
}
