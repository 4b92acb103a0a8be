// Reports for finance (api.md "Accounts and reports"), from the read models: credit flows by UTC
// day or month and wallet, each total the sum of the matching ledger entries.
import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { Caller } from '@ledger/domain';
import { CallerOf } from '../access/caller';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Result } from '../kit/failure';
import { unwrap } from '../kit/http-errors';
import { CreditFlowsDto, CreditFlowsQuery } from './finance.dto';
import { CreditFlowsAnswer, creditFlowsOf, GetCreditFlows } from './finance.queries';

@ApiTags('reports')
@Controller('v1/reports')
export class ReportsController {
  constructor(private readonly queries: QueryBus) {}

  @Get('credit-flows')
  @ApiOperation({
    summary:
      'Credits granted, consumed, expired, forfeited, corrected, overage and uncovered per UTC day or month (of the event time of the entries) and wallet; each the sum of the matching entries of GET /v1/accounts/{id}/entries.',
  })
  @ApiOkResponse({ type: CreditFlowsDto })
  async creditFlows(@Query() q: CreditFlowsQuery, @CallerOf() caller?: Caller): Promise<CreditFlowsAnswer> {
    return unwrap(await this.queries.execute<GetCreditFlows, Result<CreditFlowsAnswer>>(creditFlowsOf(q, caller)));
  }
}
