// The page's one way to the ledger: the public JSON API of this origin, with the key the user
// signed in with as `Authorization: Bearer <key>`. The key lives in sessionStorage (this tab, until
// it closes or the user signs out), never in a URL or a cookie.
const KEY = 'ledger.dashboard.key';
const ACCOUNT = 'ledger.dashboard.account';

export interface Session {
  key: string;
  /** The account a key of role `account` is bound to, when the user said so at sign-in. */
  accountId?: string;
}

export function currentSession(): Session | undefined {
  const key = sessionStorage.getItem(KEY);
  if (!key) return undefined;
  return { key, accountId: sessionStorage.getItem(ACCOUNT) || undefined };
}

export function signIn(s: Session): void {
  sessionStorage.setItem(KEY, s.key);
  if (s.accountId) sessionStorage.setItem(ACCOUNT, s.accountId);
  else sessionStorage.removeItem(ACCOUNT);
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(ACCOUNT);
}

/** Why a call gave no answer, in the words the page shows. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The route is not in this ledger (404 from the router, or 501): the page says so and goes on. */
    readonly unavailable = false,
  ) {
    super(message);
  }
}

/** Listeners told when the key is refused (401): the page goes back to sign-in. */
const refused = new Set<(f: ApiFailure) => void>();
export const onRefused = (f: (failure: ApiFailure) => void): (() => void) => {
  refused.add(f);
  return () => refused.delete(f);
};

/** A path with its query, leaving out parameters that are undefined or empty. */
export function path(base: string, query: Record<string, string | number | undefined> = {}): string {
  const q = Object.entries(query).filter(([, v]) => v !== undefined && v !== '');
  return q.length ? `${base}?${q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')}` : base;
}

/** One path segment (an account id, an invoice number), encoded. */
export const segment = (s: string): string => encodeURIComponent(s);

/** `f` over `items`, at most `n` at a time, answers in the items' order. */
export async function pool<T, R>(items: T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

async function send(p: string, accept: string): Promise<Response> {
  const s = currentSession();
  let res: Response;
  try {
    res = await fetch(p, { headers: { accept, authorization: `Bearer ${s?.key ?? ''}` }, cache: 'no-store' });
  } catch (err) {
    throw new ApiFailure(0, 'network', `the ledger could not be reached (${(err as Error).message})`);
  }
  if (res.ok) return res;
  const body = (await res.json().catch(() => ({}))) as { error?: string; message?: string };
  const code = body.error ?? String(res.status);
  const message = body.message ?? res.statusText;
  // Nest's router answers an unknown route "Cannot GET /v1/..."; a known route's 404 names what is unknown.
  const unavailable = res.status === 501 || (res.status === 404 && code === 'not_found' && /^Cannot (GET|HEAD) /.test(message));
  const failure = new ApiFailure(res.status, code, describe(res.status, code, message, p, unavailable), unavailable);
  if (res.status === 401) refused.forEach((f) => f(failure));
  throw failure;
}

function describe(status: number, code: string, message: string, p: string, unavailable: boolean): string {
  const route = p.split('?')[0];
  if (unavailable) return `${route} is not available on this ledger yet (${status}).`;
  if (status === 401) return `The key was refused (401 ${code}): sign in again.`;
  if (status === 403) return `This key may not read ${route} (403 ${code}).`;
  if (status === 404) return `Not found: ${message} (404 ${code}).`;
  if (status === 503) return `The ledger is busy: ${message} (503 ${code}). Try again.`;
  return `${message} (${status} ${code})`;
}

/** GET a JSON answer. */
export async function getJson<T>(p: string): Promise<T> {
  return (await send(p, 'application/json')).json() as Promise<T>;
}

/** Every page of a paged route (`nextCursor`), up to `maxPages`; `truncated` when more were left. */
export async function getAllPages<T, K extends string>(
  p: string,
  field: K,
  query: Record<string, string | number | undefined>,
  maxPages = 20,
): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await getJson<Record<K, T[]> & { nextCursor: string | null }>(path(p, { ...query, cursor }));
    items.push(...page[field]);
    if (!page.nextCursor) return { items, truncated: false };
    cursor = page.nextCursor;
  }
  return { items, truncated: true };
}

/** Downloads a CSV export: fetched with the key (a plain link cannot send it), saved from a blob. */
export async function download(p: string, fallbackName: string): Promise<string> {
  const res = await send(p, 'text/csv');
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}
