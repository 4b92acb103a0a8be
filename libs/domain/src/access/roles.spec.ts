// Route rules: the role decides, admin may do everything, an account key sees only its account.
import { accountFilterOf, mayCall, mayRead, RouteRule } from './roles';

const reading: RouteRule = { roles: ['finance', 'auditor', 'account'], scope: 'path' };
const writing: RouteRule = { roles: ['producer'], scope: 'none' };
const finance = { keyId: 'k1', role: 'finance' as const };
const own = { keyId: 'k2', role: 'account' as const, accountId: 'acct_1' };

describe('mayCall', () => {
  it('lets a listed role and admin through', () => {
    expect(mayCall(reading, finance, 'acct_9')).toEqual({ allowed: true });
    expect(mayCall(writing, { keyId: 'a', role: 'admin' })).toEqual({ allowed: true });
  });
  it('forbids a role the route does not list', () => {
    expect(mayCall(writing, finance)).toMatchObject({ allowed: false, error: 'forbidden' });
    expect(mayCall(reading, { keyId: 'm', role: 'metrics' }, 'acct_1')).toMatchObject({ allowed: false, error: 'forbidden' });
  });
  it("answers another account's route as an unknown account", () => {
    expect(mayCall(reading, own, 'acct_1')).toEqual({ allowed: true });
    expect(mayCall(reading, own, 'acct_2')).toEqual({ allowed: false, error: 'account_not_found', message: 'unknown account acct_2' });
  });
  it('forbids an account key a route about no one account, even one that lists the role', () =>
    expect(mayCall({ roles: ['account'], scope: 'none' }, own)).toMatchObject({ allowed: false, error: 'forbidden' }));
});

describe('lists of an account key', () => {
  it('are filtered to its own account whatever the query says', () => {
    expect(accountFilterOf(own, 'acct_2')).toBe('acct_1');
    expect(accountFilterOf(own, undefined)).toBe('acct_1');
    expect(accountFilterOf(finance, 'acct_2')).toBe('acct_2');
    expect(accountFilterOf(finance, undefined)).toBeUndefined();
  });
  it('show its own records only', () => {
    expect(mayRead(own, 'acct_1')).toBe(true);
    expect(mayRead(own, 'acct_2')).toBe(false);
    expect(mayRead(finance, 'acct_2')).toBe(true);
  });
});
