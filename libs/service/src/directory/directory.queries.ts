// The account directory's queries: served from the read models after waiting for them to reach
// the log's head as of the request (read-your-writes), with every wallet's figures as of the
// ledger's clock (the instant the balances route reads). Each answers a Result.
import { Inject } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { WalletId } from '@ledger/domain';
import { CLOCK, Clock } from '../kit/clock';
import { ok, Result, unknownAccount } from '../kit/failure';
import { decodeAccountCursor, encodeAccountCursor } from '../finance/cursor';
import { DIRECTORY_DEFAULT_PAGE } from './directory.dto';
import { DirectoryAccount, DirectoryReadModel } from './directory-read-model';

export class ListAccountsPage {
  constructor(
    /** `accountId`: only that account (what a caller bound to one account may see). */
    readonly filter: { q?: string; accountId?: string },
    readonly cursor?: string,
    readonly limit?: number,
  ) {}
}
export class GetAccount {
  constructor(readonly accountId: string) {}
}

/** An account of the list: each wallet's plan by name. */
export type DirectoryItem = Omit<DirectoryAccount, 'plans'> & { plans: Record<WalletId, string | null> };

export interface AccountsPage {
  asOf: string;
  items: DirectoryItem[];
  nextCursor: string | null;
}

@QueryHandler(ListAccountsPage)
export class ListAccountsPageHandler implements IQueryHandler<ListAccountsPage> {
  constructor(
    private readonly readModel: DirectoryReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(q: ListAccountsPage): Promise<Result<AccountsPage>> {
    const cursor = decodeAccountCursor(q.cursor);
    if (!cursor.ok) return cursor;
    const behind = await this.readModel.caughtUp();
    if (behind) return { ok: false, failure: behind };
    const asOf = this.clock.now();
    const page = await this.readModel.page({ ...q.filter, after: cursor.value }, q.limit ?? DIRECTORY_DEFAULT_PAGE, asOf);
    return ok({
      asOf,
      // The list names each wallet's plan; GET /v1/accounts/{id} gives its settings and period.
      items: page.accounts.map((a) => ({
        ...a,
        plans: Object.fromEntries(Object.entries(a.plans).map(([w, p]) => [w, p?.plan ?? null])) as DirectoryItem['plans'],
      })),
      nextCursor: page.next === undefined ? null : encodeAccountCursor(page.next),
    });
  }
}

@QueryHandler(GetAccount)
export class GetAccountHandler implements IQueryHandler<GetAccount> {
  constructor(
    private readonly readModel: DirectoryReadModel,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(q: GetAccount): Promise<Result<DirectoryAccount & { asOf: string }>> {
    const behind = await this.readModel.caughtUp();
    if (behind) return { ok: false, failure: behind };
    const asOf = this.clock.now();
    const account = await this.readModel.account(q.accountId, asOf);
    if (!account) return { ok: false, failure: unknownAccount(q.accountId) };
    const { accountId, name, openedAt, plans, wallets } = account;
    return ok({ accountId, name, openedAt, asOf, plans, wallets });
  }
}

export const DIRECTORY_HANDLERS = [ListAccountsPageHandler, GetAccountHandler];
