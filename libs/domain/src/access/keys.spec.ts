// API keys: given(issued and revoked keys).when(issue | revoke).then(events | rejection).
import { callerOf, decideKeys, evolveKeys, foldKeys, KeyCommand, KeyEvent, KeysState } from './keys';

const NOW = '2026-03-01T10:00:00.000Z';

const issue = (over: Partial<Extract<KeyCommand, { type: 'IssueKey' }>> = {}): KeyCommand => ({
  type: 'IssueKey',
  keyId: 'key_1',
  role: 'finance',
  name: 'finance team',
  prefix: 'lk_finance_abc123',
  hash: 'h1',
  issuedBy: 'env:LEDGER_ADMIN_KEY',
  now: NOW,
  ...over,
});
const revoke = (keyId = 'key_1', now = NOW): KeyCommand => ({ type: 'RevokeKey', keyId, revokedBy: 'key_admin', now });

function given(...history: KeyCommand[]) {
  let state: KeysState = foldKeys([]);
  for (const c of history) {
    const d = decideKeys(c, state);
    if (!d.ok) throw new Error(`given ${c.type} refused: ${d.rejection.message}`);
    state = d.events.reduce(evolveKeys, state);
  }
  return {
    state,
    when: (c: KeyCommand) => {
      const d = decideKeys(c, state);
      return {
        then: (...events: Partial<KeyEvent>[]) => {
          expect(d.ok).toBe(true);
          expect(d.ok && d.events).toEqual(events.map((e) => expect.objectContaining({ ...e, data: expect.objectContaining(e.data) })));
        },
        rejects: (error: string, field?: string) => {
          expect(d.ok).toBe(false);
          expect(!d.ok && d.rejection).toEqual(expect.objectContaining({ error, ...(field ? { field } : {}) }));
        },
      };
    },
  };
}

describe('issuing a key', () => {
  it('records the key with its role, prefix and hash, and who issued it', () =>
    given()
      .when(issue())
      .then({
        type: 'ApiKeyIssued',
        data: {
          keyId: 'key_1',
          role: 'finance',
          prefix: 'lk_finance_abc123',
          hash: 'h1',
          createdAt: NOW,
          issuedBy: 'env:LEDGER_ADMIN_KEY',
        } as never,
      }));

  it('refuses an unknown role, naming it', () =>
    given()
      .when(issue({ role: 'root' }))
      .rejects('invalid', 'role'));
  it('refuses an account key without its account', () =>
    given()
      .when(issue({ role: 'account' }))
      .rejects('invalid', 'accountId'));
  it('refuses an account on a key of another role', () =>
    given()
      .when(issue({ accountId: 'acct_1' }))
      .rejects('invalid', 'accountId'));
  it('refuses an expiry in the past', () =>
    given()
      .when(issue({ expiresAt: '2026-02-01T00:00:00.000Z' }))
      .rejects('invalid', 'expiresAt'));
  it('refuses the same key id twice', () =>
    given(issue())
      .when(issue({ hash: 'h2' }))
      .rejects('conflict'));
  it('refuses the same secret twice', () =>
    given(issue())
      .when(issue({ keyId: 'key_2' }))
      .rejects('conflict'));
});

describe('revoking a key', () => {
  it('records the revocation', () =>
    given(issue())
      .when(revoke())
      .then({ type: 'ApiKeyRevoked', data: { keyId: 'key_1', revokedAt: NOW, revokedBy: 'key_admin' } }));
  it('records nothing when the key is revoked already: the first revocation stands', () => given(issue(), revoke()).when(revoke()).then());
  it('refuses an unknown key', () => given().when(revoke('key_9')).rejects('key_not_found'));
});

describe('the caller a secret makes', () => {
  const book = given(
    issue(),
    issue({ keyId: 'key_2', hash: 'h2', role: 'account', accountId: 'acct_1' }),
    issue({ keyId: 'key_3', hash: 'h3', expiresAt: '2026-03-02T00:00:00.000Z' }),
  );
  it('is the key with its role, and its account for an account key', () => {
    expect(callerOf(book.state, 'h1', NOW)).toEqual({ keyId: 'key_1', role: 'finance' });
    expect(callerOf(book.state, 'h2', NOW)).toEqual({ keyId: 'key_2', role: 'account', accountId: 'acct_1' });
  });
  it('is none for an unknown secret', () => expect(callerOf(book.state, 'nope', NOW)).toBeUndefined());
  it('is none from the instant the key expires', () => {
    expect(callerOf(book.state, 'h3', '2026-03-01T23:59:59.999Z')).toBeDefined();
    expect(callerOf(book.state, 'h3', '2026-03-02T00:00:00.000Z')).toBeUndefined();
  });
  it('is none once the key is revoked', () => {
    const d = decideKeys(revoke('key_1'), book.state);
    const after = d.ok ? d.events.reduce(evolveKeys, book.state) : book.state;
    expect(callerOf(after, 'h1', NOW)).toBeUndefined();
    expect(callerOf(book.state, 'h1', NOW)).toBeDefined(); // the state before is untouched
  });
});
