// The account directory (api.md "Accounts and reports"): the accounts with their plans and wallet
// figures, searched and paged, and one account with its plans' settings and current periods.
// Served from the read models.
import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { accountFilterOf, Caller } from '@ledger/domain';
import { CallerOf } from '../access/caller';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Result } from '../kit/failure';
import { unwrap } from '../kit/http-errors';
import { AccountIdPipe } from '../kit/input-limits';
import { AccountDto, AccountsPageDto, AccountsQuery } from './directory.dto';
import { AccountsPage, GetAccount, ListAccountsPage } from './directory.queries';

@ApiTags('accounts and plans')
@Controller('v1/accounts')
export class DirectoryController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ApiOperation({
    summary:
      'The account directory in account id order: plans and wallet figures (available, held, overage, uncovered, exhausted) as the balances route gives them now; `q` searches ids and names; pages of `limit` (default 50, at most 500) with `nextCursor`.',
  })
  @ApiOkResponse({ type: AccountsPageDto })
  async list(@Query() q: AccountsQuery, @CallerOf() caller?: Caller): Promise<AccountsPage> {
    return unwrap(
      await this.queries.execute<ListAccountsPage, Result<AccountsPage>>(
        new ListAccountsPage({ q: q.q, accountId: accountFilterOf(caller, q.accountId) }, q.cursor, q.limit),
      ),
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'One account: per wallet the plan running now (autoRenew, allowOverage, its period) and the wallet figures.' })
  @ApiOkResponse({ type: AccountDto })
  @ApiNotFoundResponse({ description: 'account_not_found' })
  async account(@Param('id', new AccountIdPipe()) id: string) {
    return unwrap(await this.queries.execute<GetAccount, Result<object>>(new GetAccount(id)));
  }
}
