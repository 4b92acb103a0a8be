// Sign in: the API key, kept in this tab's sessionStorage and sent as a bearer token. A key bound
// to one account (role `account`) names that account, so the page opens it.
import { useState } from 'preact/hooks';
import { ApiFailure, getJson, path, segment, Session, signIn, signOut } from '../api';

export function SignInView({ notice, onSignedIn }: { notice?: string; onSignedIn: (s: Session) => void }) {
  const [key, setKey] = useState('');
  const [accountId, setAccountId] = useState('');
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const s: Session = { key: key.trim(), accountId: accountId.trim() || undefined };
    if (!s.key) return setProblem('Enter an API key.');
    setBusy(true);
    setProblem(undefined);
    // One cheap read to tell a refused key (401) at once; a 403 or 404 is the views' to explain.
    signIn(s);
    try {
      await getJson(s.accountId ? `/v1/accounts/${segment(s.accountId)}/balances` : path('/v1/invoices', { limit: 1 }));
      onSignedIn(s);
    } catch (err) {
      const f = err as ApiFailure;
      if (f.status === 401 || f.status === 0) {
        signOut();
        setProblem(f.message);
      } else onSignedIn(s);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="signin" tabIndex={-1}>
      <h1 tabIndex={-1}>Usage ledger · sign in</h1>
      <p>Sign in with an API key. The page shows what the key may read from the ledger's API, nothing more.</p>
      {notice && (
        <p class="note" role="status">
          {notice}
        </p>
      )}
      <form onSubmit={submit} aria-describedby={problem ? 'signin-problem' : undefined}>
        <label for="key">API key</label>
        <input
          id="key"
          name="key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={problem ? true : undefined}
        />
        <label for="account">
          Account id <span class="hint">(only for a key bound to one account)</span>
        </label>
        <input
          id="account"
          name="account"
          type="text"
          autocomplete="off"
          spellcheck={false}
          value={accountId}
          onInput={(e) => setAccountId(e.currentTarget.value)}
        />
        {problem && (
          <p id="signin-problem" class="note failed" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p class="hint">The key stays in this browser tab (sessionStorage) until you sign out or close the tab.</p>
    </main>
  );
}
