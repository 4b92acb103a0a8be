// The dashboard (api.md "Dashboard"): a page for finance, auditors and account holders over the
// public JSON API, signed in with an API key. What a key may see, the page shows; nothing more:
// every number comes from a route the key was allowed to read.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { currentSession, onRefused, Session, signIn, signOut } from './api';
import { go, href, Route, useRoute } from './route';
import { AccountView } from './views/account';
import { AccountsView } from './views/accounts';
import { InvoiceView } from './views/invoice';
import { OverviewView } from './views/overview';
import { SignInView } from './views/signin';

function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | undefined>(currentSession);
  const [notice, setNotice] = useState<string>();

  useEffect(
    () =>
      onRefused((f) => {
        signOut();
        setSession(undefined);
        setNotice(f.message);
      }),
    [],
  );

  if (!session || route.view === 'signin')
    return (
      <SignInView
        notice={notice}
        onSignedIn={(s) => {
          signIn(s);
          setSession(s);
          setNotice(undefined);
          go(s.accountId ? href.account(s.accountId) : href.overview());
        }}
      />
    );

  return (
    <Layout
      session={session}
      route={route}
      onSignOut={() => {
        signOut();
        setSession(undefined);
        setNotice('Signed out.');
        go('#/signin');
      }}
    />
  );
}

function Layout({ session, route, onSignOut }: { session: Session; route: Route; onSignOut: () => void }) {
  // A key bound to one account has that account as its home: the overview and directory are finance's.
  const view: Route =
    session.accountId && (route.view === 'overview' || route.view === 'accounts')
      ? { view: 'account', accountId: session.accountId }
      : route;
  const key = JSON.stringify(view);
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [key]);
  const current = (v: Route['view']) => (view.view === v ? 'page' : undefined);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to the content
      </a>
      <header class="top">
        <p class="brand">Usage ledger</p>
        <nav aria-label="Views">
          <ul>
            {session.accountId ? (
              <li>
                <a href={href.account(session.accountId)} aria-current={current('account')}>
                  Account {session.accountId}
                </a>
              </li>
            ) : (
              <>
                <li>
                  <a href={href.overview()} aria-current={current('overview')}>
                    Overview
                  </a>
                </li>
                <li>
                  <a href={href.accounts()} aria-current={current('accounts')}>
                    Accounts
                  </a>
                </li>
              </>
            )}
          </ul>
        </nav>
        <button type="button" class="signout" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {view.view === 'overview' && <OverviewView month={view.month} />}
        {view.view === 'accounts' && <AccountsView q={view.q} />}
        {view.view === 'account' && <AccountView key={view.accountId} accountId={view.accountId} />}
        {view.view === 'invoice' && <InvoiceView key={view.number} number={view.number} />}
        {view.view === 'unknown' && (
          <>
            <h1 tabIndex={-1}>Nothing here</h1>
            <p>
              There is no view at {view.hash}. <a href={href.overview()}>Go to the overview</a>.
            </p>
          </>
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
