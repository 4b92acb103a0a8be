// Reads answered from the account streams (history is the source of truth): balances (now or
// as of an instant) and authorizations. Entries and invoices: finance/, from the read models.
import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { authorize, AuthorizationRequest, balanceAt, Instant } from '@ledger/domain';
import { AccountLedger } from '../accounts/account-ledger';
import { CLOCK, Clock } from '../kit/clock';
import { LEDGER_CONFIG, LedgerConfig } from '../config';
import { ApiError } from '../kit/http-errors';
import { balanceView } from './views';

export class GetBalance { constructor(readonly accountId: string, readonly asOf?: Instant) {} }
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

@QueryHandler(Authorize)
export class AuthorizeHandler implements IQueryHandler<Authorize> {
  constructor(private readonly ledger: AccountLedger, @Inject(CLOCK) private readonly clock: Clock, @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig) {}
  async execute(q: Authorize) {
    const { state, version } = await this.ledger.read(q.accountId);
    if (version === 0) throw unknownAccount(q.accountId);
    return authorize(state, q.request, this.clock.now(), this.config.book);
  }
}

export const READING_HANDLERS = [GetBalanceHandler, AuthorizeHandler];
