// Where the page is: the part of the URL after '#', so the server only ever serves /dashboard
// and a link or a reload opens the same view. #/overview?month=2026-01, #/accounts?q=pro,
// #/accounts/acct_1, #/invoices/INV-acct_1-0001, #/signin.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'overview'; month?: string }
  | { view: 'accounts'; q?: string }
  | { view: 'account'; accountId: string }
  | { view: 'invoice'; number: string }
  | { view: 'signin' }
  | { view: 'unknown'; hash: string };

export function parseRoute(hash: string): Route {
  const [p, qs = ''] = hash.replace(/^#/, '').split('?');
  const q = new URLSearchParams(qs);
  const parts = p.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0 || parts[0] === 'overview') return { view: 'overview', month: q.get('month') ?? undefined };
  if (parts[0] === 'signin') return { view: 'signin' };
  if (parts[0] === 'accounts' && parts.length === 1) return { view: 'accounts', q: q.get('q') ?? undefined };
  if (parts[0] === 'accounts' && parts.length === 2) return { view: 'account', accountId: parts[1] };
  if (parts[0] === 'invoices' && parts.length === 2) return { view: 'invoice', number: parts[1] };
  return { view: 'unknown', hash };
}

export const href = {
  overview: (month?: string) => `#/overview${month ? `?month=${month}` : ''}`,
  accounts: (q?: string) => `#/accounts${q ? `?q=${encodeURIComponent(q)}` : ''}`,
  account: (id: string) => `#/accounts/${encodeURIComponent(id)}`,
  invoice: (n: string) => `#/invoices/${encodeURIComponent(n)}`,
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export const go = (to: string) => {
  location.hash = to;
};
