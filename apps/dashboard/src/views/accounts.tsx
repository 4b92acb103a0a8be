// The account directory (GET /v1/accounts?q=&limit=&cursor=): searchable, sortable, page by page.
import { useEffect, useState } from 'preact/hooks';
import { compareCredits } from '../amounts';
import { getJson, path } from '../api';
import { by, Column, Credits, Show, Table, Time, useLoad } from '../components';
import { go, href } from '../route';
import { DirectoryAccount, DirectoryPage } from '../shapes';

const PAGE = 100;
const WALLETS = ['api', 'live_avatar'];

export function AccountsView({ q }: { q?: string }) {
  const [text, setText] = useState(q ?? '');
  const [pages, setPages] = useState<DirectoryPage[]>([]);
  const [cursor, setCursor] = useState<string>();
  useEffect(() => {
    setText(q ?? '');
    setPages([]);
    setCursor(undefined);
  }, [q]);
  const page = useLoad(() => getJson<DirectoryPage>(path('/v1/accounts', { q, limit: PAGE, cursor })), [q, cursor]);
  useEffect(() => {
    if (page.state === 'ok') setPages((ps) => (ps.includes(page.data) ? ps : [...ps, page.data]));
  }, [page]);
  // A page may arrive twice (a render that loads again): each account is listed once, in order.
  const seen = new Set<string>();
  const items = pages.flatMap((p) => p.items).filter((a) => !seen.has(a.accountId) && seen.add(a.accountId));
  const last = pages[pages.length - 1];

  return (
    <>
      <h1 tabIndex={-1}>Accounts</h1>
      <form
        role="search"
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          go(href.accounts(text.trim() || undefined));
        }}
      >
        <label for="q">Search accounts by id or name</label>
        <input id="q" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        <button type="submit">Search</button>
      </form>
      {page.state !== 'ok' && items.length === 0 ? (
        <Show loaded={page}>{() => null}</Show>
      ) : (
        <section aria-labelledby="directory-title" class="card">
          <h2 id="directory-title">{q ? `Accounts matching “${q}”` : 'All accounts'}</h2>
          <Directory items={items} />
          {last?.nextCursor && (
            <button type="button" onClick={() => setCursor(last.nextCursor!)} disabled={page.state === 'loading'}>
              {page.state === 'loading' ? 'Loading…' : `Show ${PAGE} more`}
            </button>
          )}
        </section>
      )}
    </>
  );
}

function Directory({ items }: { items: DirectoryAccount[] }) {
  const wallets = WALLETS.filter((w) => items.some((a) => a.plans?.[w] || a.wallets?.[w]));
  const columns: Column<DirectoryAccount>[] = [
    {
      key: 'account',
      label: 'Account',
      render: (a) => (
        <a href={href.account(a.accountId)} data-testid={`account-link-${a.accountId}`}>
          {a.accountId}
        </a>
      ),
      compare: by((a) => a.accountId),
    },
    { key: 'name', label: 'Name', render: (a) => a.name, compare: by((a) => a.name) },
    { key: 'opened', label: 'Opened', render: (a) => <Time iso={a.openedAt} />, compare: by((a) => a.openedAt) },
    ...wallets.flatMap<Column<DirectoryAccount>>((w) => [
      { key: `${w}-plan`, label: `${w} plan`, render: (a) => a.plans?.[w] ?? '–', compare: by((a) => a.plans?.[w]) },
      {
        key: `${w}-available`,
        label: `${w} available`,
        numeric: true,
        render: (a) => (
          <>
            <Credits value={a.wallets?.[w]?.available} />
            {a.wallets?.[w]?.exhausted && <span class="badge warn"> exhausted</span>}
          </>
        ),
        compare: (x, y) => compareCredits(x.wallets?.[w]?.available ?? '0', y.wallets?.[w]?.available ?? '0'),
      },
      {
        key: `${w}-held`,
        label: `${w} held`,
        numeric: true,
        render: (a) => <Credits value={a.wallets?.[w]?.held} />,
        compare: (x, y) => compareCredits(x.wallets?.[w]?.held ?? '0', y.wallets?.[w]?.held ?? '0'),
      },
      {
        key: `${w}-overage`,
        label: `${w} overage`,
        numeric: true,
        render: (a) => <Credits value={a.wallets?.[w]?.overage} />,
        compare: (x, y) => compareCredits(x.wallets?.[w]?.overage ?? '0', y.wallets?.[w]?.overage ?? '0'),
      },
      {
        key: `${w}-uncovered`,
        label: `${w} uncovered`,
        numeric: true,
        render: (a) => <Credits value={a.wallets?.[w]?.uncovered} />,
        compare: (x, y) => compareCredits(x.wallets?.[w]?.uncovered ?? '0', y.wallets?.[w]?.uncovered ?? '0'),
      },
    ]),
  ];
  return (
    <Table
      caption={`${items.length} accounts (sort by a column's header; the search asks the ledger)`}
      columns={columns}
      rows={items}
      rowKey={(a) => a.accountId}
      initialSort={{ key: 'account' }}
      empty="No account matches."
      testid="directory-table"
    />
  );
}
