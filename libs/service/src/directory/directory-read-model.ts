// The SQL behind the account directory, over the finance read models (projections/read-model-schema.ts):
// accounts, balances, lots, holds and periods. A wallet's figures are read as of an instant, the
// way the balances route reads history (domain balance.ts balanceOf), so both answer the same:
// - spendable: what is left in the lots issued by then and not closed by then (a lot closes at its
//   expiry, or at its forfeit when that came first: domain lots.ts lotClosesAt), whether or not
//   the expiry is recorded yet;
// - held: the credits of holds open then (domain holds.ts holdOpenAt: placed by then, not past
//   expiresAt, not captured, released or expired by then);
// - available: spendable less held, never below zero;
// - overage: the overage of the period running then (domain state.ts periodAt), not invoiced yet;
// - uncovered and exhausted: as recorded for the wallet.
// Amounts leave the database as integers of millionths and become decimal strings by formatCredits.
import { Inject, Injectable } from '@nestjs/common';
import { formatCredits, Instant, WALLETS, WalletId } from '@ledger/domain';
import { LEDGER_DATABASE, SqlClient } from '@ledger/event-store';
import { Failure } from '../kit/failure';
import { FinanceProjections } from '../projections/finance-projections.service';

export interface DirectoryFilter {
  /** Part of the account id or the name, in any case. */
  q?: string;
  /** Only this account (a caller bound to one account sees only it). */
  accountId?: string;
  /** Accounts whose id sorts after this one (the page before ended there). */
  after?: string;
}

export interface WalletFigures {
  available: string;
  held: string;
  overage: string;
  uncovered: string;
  exhausted: boolean;
}

/** The plan running on a wallet at the instant asked for: its period and settings. */
export interface WalletPlan {
  plan: string;
  autoRenew: boolean;
  allowOverage: boolean;
  catalogVersion: string;
  monthlyCredits: string;
  period: { id: string; startsAt: string; endsAt: string };
}

export interface DirectoryAccount {
  accountId: string;
  name: string;
  openedAt: string;
  plans: Record<WalletId, WalletPlan | null>;
  wallets: Record<WalletId, WalletFigures>;
}

/** A row of the accounts table, as the directory reads it. */
interface AccountRow {
  account_id: string;
  name: string;
  opened_at: Date | string;
}

/** One wallet of one account: integers of millionths as text, the period running at the instant (nulls when none). */
interface WalletRow {
  account_id: string;
  wallet: WalletId;
  uncovered: string;
  exhausted: boolean;
  spendable: string;
  held: string;
  period_id: string | null;
  plan: string;
  starts_at: Date | string;
  ends_at: Date | string;
  auto_renew: boolean | null;
  allow_overage: boolean | null;
  catalog_version: string;
  monthly_credits: string;
  overage: string;
}
const iso = (v: Date | string): string => (v instanceof Date ? v : new Date(v)).toISOString();
const credits = (v: string | bigint | number): string => formatCredits(BigInt(v));

@Injectable()
export class DirectoryReadModel {
  private readonly rm: string;

  constructor(
    @Inject(LEDGER_DATABASE) private readonly db: SqlClient,
    private readonly projections: FinanceProjections,
  ) {
    this.rm = projections.schema;
  }

  /** Read-your-writes: resolves once the read models hold the log as of now (or with `projection_behind`). */
  caughtUp(): Promise<Failure | undefined> {
    return this.projections.caughtUp();
  }

  /**
   * One page of accounts in account id order (byte order, whatever the database's collation),
   * with their plans and wallet figures as of `asOf`; `next` when there is more.
   */
  async page(f: DirectoryFilter, limit: number, asOf: Instant): Promise<{ accounts: DirectoryAccount[]; next?: string }> {
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where: string[] = [];
    if (f.accountId !== undefined) where.push(`account_id = ${p(f.accountId)}`);
    if (f.after !== undefined) where.push(`account_id COLLATE "C" > ${p(f.after)}`);
    if (f.q !== undefined) {
      // A substring of the id or of the name, both lower-cased by the database (lower()); strpos
      // takes the text as it is (no LIKE pattern, so % and _ in q are plain characters).
      const q = p(f.q);
      where.push(`(strpos(lower(account_id), lower(${q})) > 0 OR strpos(lower(name), lower(${q})) > 0)`);
    }
    const rows = await this.db.query<AccountRow>(
      `SELECT account_id, name, opened_at FROM ${this.rm}.accounts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY account_id COLLATE "C" LIMIT ${limit + 1}`,
      params,
    );
    const page = rows.slice(0, limit);
    const accounts = await this.withFigures(page, asOf);
    return { accounts, next: rows.length > limit ? page[page.length - 1].account_id : undefined };
  }

  /** One account, as of `asOf`; undefined when there is no such account. */
  async account(accountId: string, asOf: Instant): Promise<DirectoryAccount | undefined> {
    const rows = await this.db.query<AccountRow>(`SELECT account_id, name, opened_at FROM ${this.rm}.accounts WHERE account_id = $1`, [
      accountId,
    ]);
    return rows.length ? (await this.withFigures(rows, asOf))[0] : undefined;
  }

  /** The plans and wallet figures of these accounts (rows of the accounts table), in their order. */
  private async withFigures(accounts: AccountRow[], asOf: Instant): Promise<DirectoryAccount[]> {
    if (accounts.length === 0) return [];
    const rm = this.rm;
    const rows = await this.db.query<WalletRow>(
      `SELECT a.account_id, w.wallet, coalesce(b.uncovered, 0)::text AS uncovered, coalesce(b.exhausted, false) AS exhausted,
         (SELECT coalesce(sum(l.remaining), 0) FROM ${rm}.lots l
           WHERE l.account_id = a.account_id AND l.wallet = w.wallet AND l.issued_at <= $2::timestamptz
             AND $2::timestamptz < CASE WHEN l.closure = 'forfeit' AND l.closed_at < l.expires_at THEN l.closed_at ELSE l.expires_at END
         )::text AS spendable,
         (SELECT coalesce(sum(h.credits), 0) FROM ${rm}.holds h
           WHERE h.account_id = a.account_id AND h.wallet = w.wallet AND h.expires_at > $2::timestamptz
             AND h.placed_at <= $2::timestamptz AND (h.ended_at IS NULL OR $2::timestamptz < h.ended_at)
         )::text AS held,
         p.period_id, p.plan, p.starts_at, p.ends_at, p.auto_renew, p.allow_overage, p.catalog_version,
         p.monthly_credits::text AS monthly_credits, p.overage::text AS overage
       FROM unnest($1::text[]) AS a(account_id) CROSS JOIN unnest($3::text[]) AS w(wallet)
       LEFT JOIN ${rm}.balances b ON b.account_id = a.account_id AND b.wallet = w.wallet
       -- the period running at the instant; periods of a wallet never overlap (each starts where the one before ended)
       LEFT JOIN LATERAL (SELECT * FROM ${rm}.periods x
           WHERE x.account_id = a.account_id AND x.wallet = w.wallet AND x.starts_at <= $2::timestamptz
             AND $2::timestamptz < coalesce(x.ended_at, x.ends_at)
           ORDER BY x.starts_at DESC LIMIT 1) p ON true`,
      [accounts.map((a) => a.account_id), asOf, WALLETS],
    );
    const byAccount = new Map<string, DirectoryAccount>();
    for (const a of accounts) {
      byAccount.set(a.account_id, {
        accountId: a.account_id,
        name: a.name,
        openedAt: iso(a.opened_at),
        plans: {} as DirectoryAccount['plans'],
        wallets: {} as DirectoryAccount['wallets'],
      });
    }
    for (const r of rows) {
      const a = byAccount.get(r.account_id)!;
      const wallet = r.wallet;
      const spendable = BigInt(r.spendable);
      const held = BigInt(r.held);
      a.wallets[wallet] = {
        available: formatCredits(spendable > held ? spendable - held : 0n),
        held: formatCredits(held),
        overage: r.period_id === null ? '0' : credits(r.overage),
        uncovered: credits(r.uncovered),
        exhausted: r.exhausted === true,
      };
      a.plans[wallet] =
        r.period_id === null
          ? null
          : {
              plan: r.plan,
              autoRenew: r.auto_renew === true,
              allowOverage: r.allow_overage === true,
              catalogVersion: r.catalog_version,
              monthlyCredits: credits(r.monthly_credits),
              period: { id: r.period_id, startsAt: iso(r.starts_at), endsAt: iso(r.ends_at) },
            };
    }
    // Wallets in their usual order (api, live_avatar), whatever order the rows came in.
    return accounts.map((x) => {
      const a = byAccount.get(x.account_id)!;
      return {
        ...a,
        plans: Object.fromEntries(WALLETS.map((w) => [w, a.plans[w]])) as DirectoryAccount['plans'],
        wallets: Object.fromEntries(WALLETS.map((w) => [w, a.wallets[w]])) as DirectoryAccount['wallets'],
      };
    });
  }
}
