// Who may call each route (api.md "Access"): the one table a reader scans. `admin` may call every
// route and is not listed. A route missing here is refused to everyone (403, logged), and a test
// walks the OpenAPI document and fails for any route without a rule (test/e2e/access.e2e-spec.ts).
// Keys are `METHOD path` as Express names the route (`:id` is the account of a `path` rule).
import { Role, RouteRule } from '@ledger/domain';

/** Every reading route: finance, auditors, and an account key on its own account. */
const READERS: readonly Role[] = ['finance', 'auditor', 'account'];

const rule = (roles: readonly Role[], scope: RouteRule['scope'], note?: string): RouteRule => ({ roles, scope, ...(note ? { note } : {}) });

export const PUBLIC = 'public' as const;

export const ROUTE_RULES: Readonly<Record<string, RouteRule | typeof PUBLIC>> = {
  'GET /health': PUBLIC,
  'GET /metrics': rule(['metrics'], 'none'),

  // Accounts and plans: admin only.
  'POST /v1/accounts': rule([], 'none'),
  'POST /v1/accounts/:id/plans': rule([], 'none'),
  'PATCH /v1/accounts/:id/plans/:wallet': rule([], 'none'),
  'POST /v1/accounts/:id/plans/:wallet/cancel': rule([], 'none'),

  // Usage in, and what producers ask before and around the work.
  'POST /v1/events': rule(['producer'], 'none', 'rate limited per key'),
  'POST /v1/authorizations': rule(['producer'], 'none'),
  'POST /v1/holds': rule(['producer'], 'none', 'rate limited per key'),
  'POST /v1/holds/:holdId/release': rule(['producer'], 'none'),
  'GET /v1/accounts/:id/holds': rule(['producer', ...READERS], 'path'),

  // Reading one account.
  'GET /v1/accounts/:id': rule(READERS, 'path'),
  'GET /v1/accounts/:id/balances': rule(READERS, 'path'),
  'GET /v1/accounts/:id/entries': rule(READERS, 'path'),
  'GET /v1/accounts/:id/notifications': rule(READERS, 'path'),

  // Lists, exports and reports: an account key's are filtered to its account.
  'GET /v1/accounts': rule(READERS, 'filter', 'the directory: an account key finds its own account only'),
  'GET /v1/reports/credit-flows': rule(READERS, 'filter'),
  'GET /v1/exports/credit-flows.csv': rule(READERS, 'filter'),
  'GET /v1/invoices': rule(READERS, 'filter'),
  'GET /v1/invoices/:number': rule(READERS, 'owned', "another account's invoice is a 404"),
  'GET /v1/usage': rule(READERS, 'filter'),
  'GET /v1/exports/entries.csv': rule(READERS, 'filter'),
  'GET /v1/exports/invoices.csv': rule(READERS, 'filter'),
  'GET /v1/exports/usage.csv': rule(READERS, 'filter'),

  // Time: anyone who reads may see the clock; only admin moves it.
  'GET /v1/simulation/clock': rule(['finance', 'auditor'], 'none'),
  'PUT /v1/simulation/clock': rule([], 'none'),

  // Keys: admin issues, lists and revokes; auditors read their history.
  'POST /v1/api-keys': rule([], 'none'),
  'GET /v1/api-keys': rule([], 'none'),
  'POST /v1/api-keys/:id/revoke': rule([], 'none'),
  'GET /v1/audit/api-keys': rule(['auditor'], 'none'),

  // Tamper evidence: the log's digest to publish.
  'GET /v1/audit/digest': rule(['auditor'], 'none'),
};
