// Reads answered from the account streams (history is the source of truth): balances (now or
// as of an instant) and authorizations. Entries and invoices: finance/, from the read models.
import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Authorization, authorize, AuthorizationRequest, balanceAt, Instant } from '@ledger/domain';
import { AccountLedger } from '../accounts/account-ledger';
import { CLOCK, Clock } from '../kit/clock';
import { ACCOUNTS_CONFIG, AccountsConfig } from '../accounts/accounts-config';
import { ok, Result, unknownAccount } from '../kit/failure';
import { balanceView } from './views';

export class GetBalance {
  constructor(
    readonly accountId: string,
    readonly asOf?: Instant,
  ) {}
}
export class Authorize {
  constructor(
    readonly accountId: string,
    readonly request: AuthorizationRequest,
  ) {}
}

@QueryHandler(GetBalance)
export class GetBalanceHandler implements IQueryHandler<GetBalance> {
  constructor(
    private readonly ledger: AccountLedger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}
  async execute(q: GetBalance): Promise<Result<ReturnType<typeof balanceView>>> {
    const history = await this.ledger.history(q.accountId);
    if (history.length === 0) return { ok: false, failure: unknownAccount(q.accountId) };
    return ok(
      balanceView(
        balanceAt(
          q.accountId,
          history.map((h) => h.event),
          q.asOf ?? this.clock.now(),
        ),
      ),
    );
  }
}

@QueryHandler(Authorize)
export class AuthorizeHandler implements IQueryHandler<Authorize> {
  constructor(
    private readonly ledger: AccountLedger,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ACCOUNTS_CONFIG) private readonly config: Pick<AccountsConfig, 'book'>,
  ) {}
  async execute(q: Authorize): Promise<Result<Authorization>> {
    const { state, version } = await this.ledger.read(q.accountId);
    if (version === 0) return { ok: false, failure: unknownAccount(q.accountId) };
    return ok(authorize(state, q.request, this.clock.now(), this.config.book));
  }
}

export const READING_HANDLERS = [GetBalanceHandler, AuthorizeHandler];
