// Who may call what (api.md "Access"): the roles of an API key, and the rule each route declares.
// Pure: the service's guard (libs/service/src/access) reads the caller's key and asks `mayCall`.

export const ROLES = ['admin', 'producer', 'finance', 'auditor', 'account', 'metrics'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);

/** Who is calling: a key's id and role, and for role `account` the one account it is bound to. */
export interface Caller {
  keyId: string;
  role: Role;
  accountId?: string;
}

/**
 * How a route names the account it is about, so a key bound to one account sees only that one:
 * - `path`: the route's `:id` is the account: another account answers 404, as if it did not exist;
 * - `filter`: a list, export or report: the service filters it to the caller's account, whatever the query says;
 * - `owned`: one record (an invoice) whose owner the controller checks after reading it (another's is a 404);
 * - `none`: the route is not about one account (account keys may not call it).
 */
export type AccountScope = 'path' | 'filter' | 'owned' | 'none';

export interface RouteRule {
  /** The roles that may call the route; `admin` may call every route. */
  roles: readonly Role[];
  scope: AccountScope;
  /** Why this rule (a word for the reader of the route table). */
  note?: string;
}

export type Verdict =
  | { allowed: true }
  | { allowed: false; error: 'forbidden'; message: string }
  | { allowed: false; error: 'account_not_found'; message: string };

/** May `caller` call a route of `rule`, about account `pathAccount` (the route's `:id`, if any)? */
export function mayCall(rule: RouteRule, caller: Caller, pathAccount?: string): Verdict {
  if (caller.role !== 'admin' && !rule.roles.includes(caller.role))
    return { allowed: false, error: 'forbidden', message: `a key of role ${caller.role} may not call this route` };
  if (caller.role === 'account') {
    if (rule.scope === 'none') return { allowed: false, error: 'forbidden', message: 'a key of role account may not call this route' };
    // Another account's route answers exactly what an unknown account does: the key learns nothing.
    if (rule.scope === 'path' && pathAccount !== caller.accountId)
      return { allowed: false, error: 'account_not_found', message: `unknown account ${pathAccount}` };
  }
  return { allowed: true };
}

/** The account a list, export or report is filtered to: the caller's own for an account key, else what was asked. */
export const accountFilterOf = (caller: Caller | undefined, requested: string | undefined): string | undefined =>
  caller?.role === 'account' ? caller.accountId : requested;

/** May `caller` see a record owned by `owner` (an `owned` route)? */
export const mayRead = (caller: Caller | undefined, owner: string): boolean => caller?.role !== 'account' || caller.accountId === owner;
