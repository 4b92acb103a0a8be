import { Body, Controller, HttpCode, Param, ParseEnumPipe, Patch, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { WalletId, WALLETS } from '@ledger/domain';
import { unwrap } from '../kit/http-errors';
import { AccountIdPipe } from '../kit/input-limits';
import { AccountCommandResult, CancelPlan, ChangePlanSettings, OpenAccount, StartPlan } from './account.commands';
import { OpenAccountDto, PlanSettingsDto, StartPlanDto } from './accounts.dto';
import { ApiFailures } from '../kit/openapi-answers';

const wallet = () => new ParseEnumPipe(Object.fromEntries(WALLETS.map((w) => [w, w])));

@ApiTags('accounts and plans')
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly commands: CommandBus) {}

  private async run(command: OpenAccount | StartPlan | ChangePlanSettings | CancelPlan) {
    return unwrap(await this.commands.execute<typeof command, AccountCommandResult>(command));
  }

  @Post()
  @ApiResponse({ status: 201, description: 'opened' })
  @ApiResponse({ status: 200, description: 'opened before with the same name: nothing changes' })
  @ApiFailures('account_exists')
  async open(@Body() body: OpenAccountDto, @Res({ passthrough: true }) res: Response) {
    const { created } = await this.run(new OpenAccount(body));
    res.status(created ? 201 : 200);
    return { accountId: body.accountId, name: body.name, plan: 'api_free' };
  }

  @Post(':id/plans')
  @ApiResponse({ status: 201, description: 'the plan starts (at startsAt, or now)' })
  @ApiFailures('account_not_found', 'plan_active', 'contract_required', 'auto_renew_not_allowed', 'overage_not_allowed')
  async startPlan(@Param('id', new AccountIdPipe()) id: string, @Body() body: StartPlanDto) {
    await this.run(new StartPlan(id, body));
    return { accountId: id, plan: body.plan };
  }

  @Patch(':id/plans/:wallet')
  @ApiResponse({ status: 200, description: 'the settings of the running plan changed' })
  @ApiBody({ type: PlanSettingsDto, required: false })
  @ApiFailures('account_not_found', 'no_plan', 'auto_renew_not_allowed', 'overage_not_allowed')
  async change(@Param('id', new AccountIdPipe()) id: string, @Param('wallet', wallet()) w: WalletId, @Body() body: PlanSettingsDto) {
    await this.run(new ChangePlanSettings(id, w, body));
    return { accountId: id, wallet: w, ...body };
  }

  @Post(':id/plans/:wallet/cancel')
  @ApiResponse({ status: 200, description: 'cancelled: the plan ends with its period' })
  @ApiFailures('account_not_found', 'no_plan')
  @HttpCode(200)
  async cancel(@Param('id', new AccountIdPipe()) id: string, @Param('wallet', wallet()) w: WalletId) {
    await this.run(new CancelPlan(id, w));
    return { accountId: id, wallet: w, cancelled: true };
  }
}
