// Account and plan commands dispatched through @nestjs/cqrs; each handler is load-decide-append.
import { CommandHandler } from '@nestjs/cqrs';
import { Inject } from '@nestjs/common';
import { AccountCommand, AccountEvent, toInstant, WalletId } from '@ledger/domain';
import { CLOCK, Clock } from '../kit/clock';
import { failed, ok, rejectionFailure, Result } from '../kit/failure';
import { AccountLedger } from './account-ledger';
import { OpenAccountDto, PlanSettingsDto, StartPlanDto } from './accounts.dto';

export class OpenAccount {
  constructor(readonly body: OpenAccountDto) {}
}
export class StartPlan {
  constructor(
    readonly accountId: string,
    readonly body: StartPlanDto,
  ) {}
}
export class ChangePlanSettings {
  constructor(
    readonly accountId: string,
    readonly wallet: WalletId,
    readonly body: PlanSettingsDto,
  ) {}
}
export class CancelPlan {
  constructor(
    readonly accountId: string,
    readonly wallet: WalletId,
  ) {}
}

type AnyAccountCommand = OpenAccount | StartPlan | ChangePlanSettings | CancelPlan;

/** What an account command answers: recorded (or already there), or the decider's refusal. */
export type AccountCommandResult = Result<{ created: boolean; events: AccountEvent[] }>;

/** Executes one account command; a business refusal is a failure for the controller to map. */
abstract class AccountCommandHandler {
  constructor(
    private readonly ledger: AccountLedger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(cmd: AnyAccountCommand): Promise<AccountCommandResult> {
    const now = this.clock.now();
    const [accountId, command] = this.translate(cmd, now);
    const [outcome] = await this.ledger.submit([{ accountId, command, provenance: { via: 'http', command: command.type } }]);
    if (outcome.status === 'accepted') return ok({ created: true, events: outcome.events });
    if (outcome.status === 'rejected') {
      // Creating an existing account again with the same body is not an error.
      if (cmd instanceof OpenAccount && outcome.rejection.error === 'account_exists') {
        const { state } = await this.ledger.read(accountId);
        if (state.name === cmd.body.name) return ok({ created: false, events: [] });
      }
      const f = rejectionFailure(outcome.rejection);
      return failed(f.error, f.message, f.details);
    }
    throw new Error(`unexpected outcome ${outcome.status}`);
  }

  private translate(cmd: AnyAccountCommand, now: string): [string, AccountCommand] {
    if (cmd instanceof OpenAccount)
      return [cmd.body.accountId, { type: 'OpenAccount', accountId: cmd.body.accountId, name: cmd.body.name, now }];
    if (cmd instanceof StartPlan) {
      const b = cmd.body;
      return [
        cmd.accountId,
        {
          type: 'StartPlan',
          plan: b.plan,
          now,
          ...(b.startsAt ? { startsAt: toInstant(b.startsAt) } : {}),
          ...(b.autoRenew !== undefined ? { autoRenew: b.autoRenew } : {}),
          ...(b.allowOverage !== undefined ? { allowOverage: b.allowOverage } : {}),
          ...(b.contract ? { contract: { ...b.contract } } : {}),
        },
      ];
    }
    if (cmd instanceof ChangePlanSettings) return [cmd.accountId, { type: 'ChangePlanSettings', wallet: cmd.wallet, now, ...cmd.body }];
    return [cmd.accountId, { type: 'CancelPlan', wallet: cmd.wallet, now }];
  }
}

@CommandHandler(OpenAccount)
export class OpenAccountHandler extends AccountCommandHandler {}
@CommandHandler(StartPlan)
export class StartPlanHandler extends AccountCommandHandler {}
@CommandHandler(ChangePlanSettings)
export class ChangePlanSettingsHandler extends AccountCommandHandler {}
@CommandHandler(CancelPlan)
export class CancelPlanHandler extends AccountCommandHandler {}
export const ACCOUNT_COMMAND_HANDLERS = [OpenAccountHandler, StartPlanHandler, ChangePlanSettingsHandler, CancelPlanHandler];
