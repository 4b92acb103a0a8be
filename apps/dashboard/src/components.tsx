// The page's small parts: instants, amounts, loading and failure states, sortable tables,
// CSV downloads. Each is plain semantic HTML with labels for screen readers.
import { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { compareCredits, formatCents } from './amounts';
import { ApiFailure, download } from './api';
import { local, utc } from './time';

/** An instant: UTC as text, the reader's local time on hover. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span aria-label="none">–</span>;
  return (
    <time dateTime={iso} title={local(iso)}>
      {utc(iso)}
    </time>
  );
}

/** Credits exactly as the API gives them. */
export const Credits = ({ value, testid }: { value: string | null | undefined; testid?: string }) => (
  <span class="num" data-testid={testid}>
    {value ?? '–'}
  </span>
);

export const Money = ({ cents, testid }: { cents: number | string | bigint; testid?: string }) => (
  <span class="num" data-testid={testid}>
    {formatCents(cents)}
  </span>
);

export type Loaded<T> = { state: 'loading' } | { state: 'ok'; data: T } | { state: 'failed'; failure: ApiFailure };

/** The answer of `load` (run again when `deps` change); undefined `load`: nothing to ask. */
export function useLoad<T>(load: (() => Promise<T>) | undefined, deps: unknown[]): Loaded<T> & { reload: () => void } {
  const [state, setState] = useState<Loaded<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (!load) return;
    let live = true;
    setState({ state: 'loading' });
    load().then(
      (data) => live && setState({ state: 'ok', data }),
      (err) => live && setState({ state: 'failed', failure: err instanceof ApiFailure ? err : new ApiFailure(0, 'error', String(err)) }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}

/** A failure as the reader sees it: an alert, or a quiet note for a route this ledger lacks. */
export function FailureNote({ failure }: { failure: ApiFailure }) {
  return failure.unavailable ? (
    <p class="note unavailable" role="status" data-testid="unavailable">
      {failure.message}
    </p>
  ) : (
    <p class="note failed" role="alert">
      {failure.message}
    </p>
  );
}

/** Renders `children` with the data once loaded; the loading and failed states otherwise. */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.state === 'loading')
    return (
      <p class="note" role="status" aria-busy="true">
        Loading…
      </p>
    );
  if (loaded.state === 'failed') return <FailureNote failure={loaded.failure} />;
  return <>{children(loaded.data)}</>;
}

/** A section with its heading, reachable by its id. */
export function Section({
  id,
  title,
  children,
  actions,
}: {
  id: string;
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section id={id} aria-labelledby={`${id}-title`} class="card">
      <div class="card-head">
        <h2 id={`${id}-title`} tabIndex={-1}>
          {title}
        </h2>
        {actions && <div class="actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

export interface Column<R> {
  key: string;
  label: string;
  render: (row: R) => ComponentChildren;
  /** Present when the column sorts: a comparison of two rows. */
  compare?: (a: R, b: R) => number;
  numeric?: boolean;
}

/** A sortable column of credits: shown as the API's decimal string, compared exactly (never as floats). */
export const creditsColumn = <R,>(key: string, label: string, of: (row: R) => string): Column<R> => ({
  key,
  label,
  numeric: true,
  render: (row) => <Credits value={of(row)} />,
  compare: (a, b) => compareCredits(of(a), of(b)),
});

/** A table whose sortable columns sort by their header's button (aria-sort tells which). */
export function Table<R>({
  caption,
  columns,
  rows,
  rowKey,
  initialSort,
  empty = 'Nothing to show.',
  testid,
}: {
  caption: string;
  columns: Column<R>[];
  rows: R[];
  rowKey: (r: R) => string;
  initialSort?: { key: string; descending?: boolean };
  empty?: string;
  testid?: string;
}) {
  const [sort, setSort] = useState(initialSort);
  const sorted = useMemo(() => {
    const col = columns.find((c) => c.key === sort?.key);
    if (!col?.compare) return rows;
    const out = [...rows].sort(col.compare);
    return sort?.descending ? out.reverse() : out;
  }, [rows, sort, columns]);
  if (rows.length === 0) return <p class="note">{empty}</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table data-testid={testid}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort?.key === c.key;
              const ariaSort: 'ascending' | 'descending' | 'none' | undefined = active
                ? sort?.descending
                  ? 'descending'
                  : 'ascending'
                : c.compare
                  ? 'none'
                  : undefined;
              return (
                <th scope="col" key={c.key} class={c.numeric ? 'num' : undefined} aria-sort={ariaSort}>
                  {c.compare ? (
                    <button
                      type="button"
                      class="sort"
                      onClick={() => setSort({ key: c.key, descending: active ? !sort?.descending : false })}
                    >
                      {c.label}
                      <span aria-hidden="true">{active ? (sort?.descending ? ' ▼' : ' ▲') : ' ↕'}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={rowKey(r)}>
              {columns.map((c) => (
                <td key={c.key} class={c.numeric ? 'num' : undefined}>
                  {c.render(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A CSV export: fetched with the key and saved as a file; what happened is said in a live region. */
export function Download({ path, name, label }: { path: string; name: string; label: string }) {
  const [said, setSaid] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setSaid('Downloading…');
    try {
      setSaid(`Saved ${await download(path, name)}`);
    } catch (err) {
      setSaid(err instanceof ApiFailure ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="download">
      <button type="button" onClick={run} disabled={busy} aria-describedby={`dl-${name}`}>
        {label}
      </button>
      <span id={`dl-${name}`} class="said" aria-live="polite">
        {said}
      </span>
    </span>
  );
}

/** Sorts strings and numbers alike for a column. */
export const by =
  <R,>(f: (r: R) => string | number | null | undefined) =>
  (a: R, b: R): number => {
    const x = f(a) ?? '';
    const y = f(b) ?? '';
    return typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
  };
