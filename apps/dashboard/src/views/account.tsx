// One account: its plans, balances, available credits over time (lot expiries, renewals and the
// 90 % line marked), usage by kind, entries with their provenance, holds, invoices with their
// lines, notifications, and CSV downloads of its period.
import { useMemo, useState } from 'preact/hooks';
import { creditsToNumber, formatCredits } from '../amounts';
import { getAllPages, getJson, path, segment } from '../api';
import { ChartMark, TimeChart } from '../chart';
import { by, Column, Credits, creditsColumn, Download, Money, Section, Show, Table, Time, useLoad } from '../components';
import { WalletSeries, walletSeries, ninetyAt } from '../series';
import {
  AccountDetail,
  Balances,
  Entry,
  Hold,
  Invoice,
  Notification,
  Provenance,
  UsageAnswer,
  UsageTotals,
  WalletBalance,
} from '../shapes';
import { addMonths, monthBounds, monthOf, utc } from '../time';
import { InvoiceTable } from './overview';

const ENTRY_KINDS = ['grant', 'charge', 'expiry', 'forfeit', 'overage', 'uncovered', 'correction'];
const ENTRIES_SHOWN = 200;

export function AccountView({ accountId }: { accountId: string }) {
  const id = segment(accountId);
  const balances = useLoad(() => getJson<Balances>(`/v1/accounts/${id}/balances`), [id]);
  const detail = useLoad(() => getJson<AccountDetail>(`/v1/accounts/${id}`), [id]);
  const entries = useLoad(() => getAllPages<Entry, 'entries'>(`/v1/accounts/${id}/entries`, 'entries', { limit: 5000 }, 10), [id]);
  const holds = useLoad(() => getJson<{ items: Hold[] }>(`/v1/accounts/${id}/holds`), [id]);
  const notifications = useLoad(
    () => getJson<{ notifications: Notification[] }>(path(`/v1/accounts/${id}/notifications`, { limit: 5000 })),
    [id],
  );

  if (balances.state === 'failed' && balances.failure.status === 404 && !balances.failure.unavailable)
    return (
      <>
        <h1 tabIndex={-1}>Account {accountId}</h1>
        <p class="note failed" role="alert" data-testid="account-missing">
          No account {accountId} for this key. {balances.failure.message}
        </p>
      </>
    );

  const name = detail.state === 'ok' && typeof detail.data.name === 'string' ? detail.data.name : undefined;
  return (
    <>
      <h1 tabIndex={-1}>
        Account {accountId}
        {name && <span class="subtitle"> · {name}</span>}
      </h1>
      <nav class="local" aria-label="On this page">
        {[
          ['balances', 'Balances'],
          ['over-time', 'Over time'],
          ['usage', 'Usage'],
          ['entries', 'Entries'],
          ['holds', 'Holds'],
          ['invoices', 'Invoices'],
          ['notifications', 'Notifications'],
          ['downloads', 'Downloads'],
        ].map(([s, label]) => (
          <button key={s} type="button" class="link" onClick={() => jump(s)}>
            {label}
          </button>
        ))}
      </nav>
      <Section id="plans" title="Plans">
        <Show loaded={detail}>{(d) => <Plans detail={d} />}</Show>
      </Section>
      <Section id="balances" title="Balances">
        <Show loaded={balances}>{(b) => <BalancesOf balances={b} />}</Show>
      </Section>
      <Section id="over-time" title="Available credits over time">
        {balances.state === 'ok' && entries.state === 'ok' ? (
          <OverTime
            balances={balances.data}
            entries={entries.data.items}
            truncated={entries.data.truncated}
            holds={holds.state === 'ok' ? holds.data.items : []}
            notifications={notifications.state === 'ok' ? notifications.data.notifications : []}
          />
        ) : (
          <Show loaded={entries.state === 'ok' ? balances : entries}>{() => null}</Show>
        )}
      </Section>
      <Section id="usage" title="Usage by kind">
        <Usage accountId={accountId} />
      </Section>
      <Section id="entries" title="Entries">
        <Show loaded={entries}>{(e) => <Entries entries={e.items} truncated={e.truncated} />}</Show>
      </Section>
      <Section id="holds" title="Holds">
        <Show loaded={holds}>{(h) => <Holds holds={h.items} />}</Show>
      </Section>
      <Section id="invoices" title="Invoices">
        <Invoices accountId={accountId} />
      </Section>
      <Section id="notifications" title="Notifications">
        <Show loaded={notifications}>{(n) => <Notifications notifications={n.notifications} />}</Show>
      </Section>
      <Section id="downloads" title="Downloads">
        <Downloads
          accountId={accountId}
          first={entries.state === 'ok' ? entries.data.items[0]?.at : undefined}
          now={balances.state === 'ok' ? balances.data.asOf : undefined}
        />
      </Section>
    </>
  );
}

const jump = (id: string) => {
  const h = document.getElementById(`${id}-title`);
  h?.scrollIntoView({ block: 'start' });
  h?.focus({ preventScroll: true });
};

const yesNo = (v: unknown) => (v === true ? 'yes' : v === false ? 'no' : '–');

function Plans({ detail }: { detail: AccountDetail }) {
  const plans = Object.entries(detail.plans ?? {});
  return (
    <>
      {detail.openedAt && (
        <p>
          Opened <Time iso={detail.openedAt} />
        </p>
      )}
      <Table
        caption="Plan per wallet"
        rows={plans}
        rowKey={([w]) => w}
        empty="No plan."
        columns={[
          { key: 'wallet', label: 'Wallet', render: ([w]) => w },
          { key: 'plan', label: 'Plan', render: ([, p]) => (typeof p === 'string' ? p : (p?.plan ?? '–')) },
          { key: 'auto', label: 'Auto-renew', render: ([, p]) => (typeof p === 'object' && p ? yesNo(p.autoRenew) : '–') },
          { key: 'overage', label: 'Overage allowed', render: ([, p]) => (typeof p === 'object' && p ? yesNo(p.allowOverage) : '–') },
          {
            key: 'period',
            label: 'Current period',
            render: ([, p]) =>
              typeof p === 'object' && p?.period ? (
                <>
                  {p.period.id ?? p.period.periodId ?? ''} <Time iso={p.period.startsAt} /> – <Time iso={p.period.endsAt} />
                </>
              ) : (
                '–'
              ),
          },
        ]}
      />
    </>
  );
}

function BalancesOf({ balances }: { balances: Balances }) {
  const wallets = Object.entries(balances.wallets).filter(([, w]) => shown(w));
  return (
    <>
      <p class="hint">
        As of <Time iso={balances.asOf} /> (the ledger's clock).
      </p>
      <div class="wallets">
        {wallets.map(([name, w]) => (
          <div class="wallet" key={name} data-wallet={name}>
            <h3>
              Wallet {name}
              <span class="subtitle"> · {w.plan ?? 'no plan'}</span>
              {w.exhausted && <span class="badge warn">exhausted</span>}
            </h3>
            <dl class="figures">
              <div>
                <dt>Available</dt>
                <dd>
                  <Credits value={w.available} testid={`balance-available-${name}`} />
                </dd>
              </div>
              <div>
                <dt>Held</dt>
                <dd>
                  <Credits value={w.held ?? '0'} testid={`balance-held-${name}`} />
                </dd>
              </div>
              <div>
                <dt>Overage</dt>
                <dd>
                  <Credits value={w.overage} />
                </dd>
              </div>
              <div>
                <dt>Uncovered</dt>
                <dd>
                  <Credits value={w.uncovered} />
                </dd>
              </div>
            </dl>
            <Table
              caption={`Lots of wallet ${name}`}
              rows={w.lots}
              rowKey={(l) => l.lotId}
              empty="No spendable lot."
              columns={[
                { key: 'lot', label: 'Lot', render: (l) => l.lotId },
                { key: 'remaining', label: 'Remaining', numeric: true, render: (l) => <Credits value={l.remaining} /> },
                { key: 'granted', label: 'Granted', numeric: true, render: (l) => <Credits value={l.granted} /> },
                { key: 'issued', label: 'Issued', render: (l) => <Time iso={l.issuedAt} /> },
                { key: 'expires', label: 'Expires', render: (l) => <Time iso={l.expiresAt} /> },
              ]}
            />
          </div>
        ))}
      </div>
    </>
  );
}

/** A wallet worth showing: a plan, lots, or something owed. */
const shown = (w: WalletBalance) => w.plan !== null || w.lots.length > 0 || w.overage !== '0' || w.uncovered !== '0';

function OverTime({
  balances,
  entries,
  truncated,
  holds,
  notifications,
}: {
  balances: Balances;
  entries: Entry[];
  truncated: boolean;
  holds: Hold[];
  notifications: Notification[];
}) {
  const all = useMemo(() => walletSeries(entries, holds, balances.asOf, notifications), [entries, holds, balances, notifications]);
  const series = all.filter((s) => s.points.length > 0);
  if (series.length === 0) return <p class="note">No entries yet.</p>;
  return (
    <>
      {truncated && <p class="note">The chart shows the first {entries.length} entries only.</p>}
      {series.map((s) => (
        <WalletChart key={s.wallet} s={s} balance={balances.wallets[s.wallet]} />
      ))}
    </>
  );
}

function WalletChart({ s, balance }: { s: WalletSeries; balance?: WalletBalance }) {
  const chart = useMemo(() => {
    const xs = s.points.map((p) => p.t / 1000);
    const ninety = s.points.map((p) => ninetyAt(s.ninety, p.t));
    const marks: ChartMark[] = s.marks
      .filter((m) => !m.due)
      .map((m) => ({
        x: m.t / 1000,
        color: m.kind === 'expiry' ? '#b0420e' : '#1b7f3b',
        dash: m.kind === 'expiry' ? [4, 3] : [8, 3],
        label: m.kind === 'expiry' ? 'expiry' : 'renewal',
      }));
    return {
      xs,
      xTexts: s.points.map((p) => utc(p.at)),
      marks,
      series: [
        {
          label: 'available',
          color: '#1f5fbf',
          fill: 'rgba(31, 95, 191, 0.08)',
          stepped: true,
          values: s.points.map((p) => creditsToNumber(p.available)),
          texts: s.points.map((p) => formatCredits(p.available)),
        },
        {
          label: '90 % of the grant used',
          color: '#8a5a00',
          dash: [10, 5],
          stepped: true,
          values: ninety.map((n) => (n === undefined ? null : creditsToNumber(n))),
          texts: ninety.map((n) => (n === undefined ? null : formatCredits(n))),
        },
      ],
    };
  }, [s]);
  const last = s.points[s.points.length - 1];
  const end = formatCredits(last.available);
  const agrees = balance === undefined || balance.available === end;
  return (
    <figure class="wallet-chart" data-wallet={s.wallet}>
      <figcaption>
        <strong>Wallet {s.wallet}</strong>: from <Time iso={s.points[0].at} /> to <Time iso={last.at} />, now{' '}
        <Credits value={end} testid={`series-end-${s.wallet}`} /> credits available{' '}
        {agrees ? '(as the balances route says)' : <span class="badge warn">the balances route says {balance?.available}</span>}.
      </figcaption>
      <TimeChart
        {...chart}
        label={`Available credits of wallet ${s.wallet} over time, from ${utc(s.points[0].at)} to ${utc(last.at)}, ending at ${end}; ${s.marks.length} marks listed below.`}
        testid={`chart-${s.wallet}`}
      />
      <ul class="legend" aria-label="Marks on the chart">
        <li class="mark expiry">lot expiry</li>
        <li class="mark renewal">renewal</li>
        <li class="mark ninety">90 % of the period's grant used</li>
      </ul>
      <Table
        caption={`Lot expiries, renewals and the 90 % line of wallet ${s.wallet}`}
        rows={[
          ...s.marks.map((m) => ({
            key: `${m.kind}-${m.at}-${m.label}`,
            at: m.at,
            what: m.kind === 'expiry' ? 'lot expiry' : 'renewal',
            detail: m.label + (m.due ? ' (to come)' : ''),
          })),
          ...s.ninety.map((n) => ({
            key: `ninety-${n.periodId}`,
            at: n.from,
            what: '90 % line',
            detail: `period ${n.periodId}: 90 % of ${formatCredits(n.granted)} granted is used when ${formatCredits(n.level)} are left`,
          })),
        ].sort((a, b) => a.at.localeCompare(b.at))}
        rowKey={(r) => r.key}
        columns={[
          { key: 'at', label: 'When', render: (r) => <Time iso={r.at} /> },
          { key: 'what', label: 'What', render: (r) => r.what },
          { key: 'detail', label: 'Detail', render: (r) => r.detail },
        ]}
      />
      <details>
        <summary>The chart's points as a table ({s.points.length})</summary>
        <Table
          caption={`Available credits of wallet ${s.wallet} after each change`}
          rows={s.points}
          rowKey={(p) => String(p.t)}
          columns={[
            { key: 'at', label: 'When', render: (p) => <Time iso={p.at} /> },
            { key: 'available', label: 'Available', numeric: true, render: (p) => <Credits value={formatCredits(p.available)} /> },
            { key: 'spendable', label: 'In lots', numeric: true, render: (p) => <Credits value={formatCredits(p.spendable)} /> },
            { key: 'held', label: 'Held', numeric: true, render: (p) => <Credits value={formatCredits(p.held)} /> },
          ]}
        />
      </details>
    </figure>
  );
}

function Usage({ accountId }: { accountId: string }) {
  const usage = useLoad(() => getJson<UsageAnswer>(path('/v1/usage', { accountId, groupBy: 'month' })), [accountId]);
  return (
    <Show loaded={usage}>
      {(u) => (
        <>
          <Table
            caption={`Usage by kind, all time: ${u.totals.credits} credits in ${u.totals.records} records`}
            rows={u.totals.byKind}
            rowKey={(k) => k.usageKind}
            empty="No usage."
            testid="usage-table"
            initialSort={{ key: 'credits', descending: true }}
            columns={[
              { key: 'kind', label: 'Usage kind', render: (k) => k.usageKind, compare: by((k) => k.usageKind) },
              { key: 'records', label: 'Records', numeric: true, render: (k) => k.records, compare: by((k) => k.records) },
              creditsColumn<UsageTotals>('credits', 'Credits', (k) => k.credits),
              {
                key: 'duration',
                label: 'Duration',
                numeric: true,
                render: (k) => duration(k.durationMs),
                compare: by((k) => k.durationMs),
              },
              creditsColumn<UsageTotals>('overage', 'Overage', (k) => k.overage),
              creditsColumn<UsageTotals>('uncovered', 'Uncovered', (k) => k.uncovered),
            ]}
          />
          <details>
            <summary>By month</summary>
            <Table
              caption="Usage by month and kind"
              rows={u.usage}
              rowKey={(r) => `${r.period}-${r.usageKind}`}
              columns={[
                { key: 'month', label: 'Month', render: (r) => r.period, compare: by((r) => r.period) },
                { key: 'kind', label: 'Usage kind', render: (r) => r.usageKind, compare: by((r) => r.usageKind) },
                { key: 'records', label: 'Records', numeric: true, render: (r) => r.records },
                { key: 'credits', label: 'Credits', numeric: true, render: (r) => <Credits value={r.credits} /> },
                { key: 'overage', label: 'Overage', numeric: true, render: (r) => <Credits value={r.overage} /> },
                { key: 'uncovered', label: 'Uncovered', numeric: true, render: (r) => <Credits value={r.uncovered} /> },
              ]}
            />
          </details>
        </>
      )}
    </Show>
  );
}

/** 9293879 ms -> "2 h 34 min 53 s". */
function duration(msTotal: number): string {
  const s = Math.floor(msTotal / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [h && `${h} h`, (h || m) && `${m} min`, `${s % 60} s`].filter(Boolean).join(' ');
}

/** Where an entry came from: the event that caused it and the way it came in. */
function provenance(p: Provenance | undefined): string {
  if (!p) return '–';
  const parts: string[] = [];
  if (p.via) parts.push(`via ${p.via}`);
  if (p.command) parts.push(`command ${p.command}`);
  if (p.topic !== undefined) parts.push(`topic ${p.topic} partition ${String(p.partition)} offset ${String(p.offset)}`);
  if (p.requestId) parts.push(`request ${p.requestId}${p.index !== undefined ? ` #${p.index}` : ''}`);
  for (const [k, v] of Object.entries(p))
    if (!['via', 'command', 'topic', 'partition', 'offset', 'requestId', 'index', 'event'].includes(k) && v !== undefined && v !== null)
      parts.push(`${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.join(', ') || '–';
}

function cause(e: Entry): string {
  if (e.usage) {
    const flags = e.usage.flags.length ? ` · flagged: ${e.usage.flags.join(', ')}` : '';
    return `${e.usage.kind} · event ${e.usage.id} from ${e.usage.source}${flags}`;
  }
  if (e.reason) return e.reason;
  return e.kind === 'grant' && e.periodId ? `period ${e.periodId}` : '–';
}

function Entries({ entries, truncated }: { entries: Entry[]; truncated: boolean }) {
  const [kind, setKind] = useState('');
  const [all, setAll] = useState(false);
  const rows = useMemo(() => entries.filter((e) => !kind || e.kind === kind), [entries, kind]);
  const shownRows = all ? rows : rows.slice(0, ENTRIES_SHOWN);
  const columns: Column<Entry & { n: number }>[] = [
    { key: 'at', label: 'When', render: (e) => <Time iso={e.at} />, compare: by((e) => e.at) },
    { key: 'kind', label: 'Kind', render: (e) => e.kind, compare: by((e) => e.kind) },
    { key: 'wallet', label: 'Wallet', render: (e) => e.wallet, compare: by((e) => e.wallet) },
    creditsColumn('credits', 'Credits', (e) => e.credits),
    { key: 'lot', label: 'Lot', render: (e) => e.lotId ?? '–' },
    { key: 'cause', label: 'Cause', render: (e) => cause(e) },
    { key: 'provenance', label: 'Provenance', render: (e) => provenance(e.provenance) },
    { key: 'recorded', label: 'Recorded', render: (e) => <Time iso={e.recordedAt} />, compare: by((e) => e.recordedAt) },
  ];
  return (
    <>
      <div class="filters">
        <label for="entry-kind">Kind</label>
        <select id="entry-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          <option value="">every kind</option>
          {ENTRY_KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </div>
      {truncated && <p class="note">Only the first {entries.length} entries were read.</p>}
      <Table
        caption={`${rows.length} entries, oldest first${shownRows.length < rows.length ? ` (the first ${shownRows.length} shown)` : ''}`}
        rows={shownRows.map((e, n) => ({ ...e, n }))}
        rowKey={(e) => `${e.position ?? ''}-${e.n}`}
        columns={columns}
        empty="No entries."
        testid="entries-table"
      />
      {shownRows.length < rows.length && (
        <button type="button" onClick={() => setAll(true)}>
          Show all {rows.length} entries
        </button>
      )}
    </>
  );
}

function Holds({ holds }: { holds: Hold[] }) {
  return (
    <Table
      caption={`${holds.length} holds`}
      rows={holds}
      rowKey={(h) => h.holdId}
      empty="No holds."
      testid="holds-table"
      columns={[
        { key: 'id', label: 'Hold', render: (h) => h.holdId, compare: by((h) => h.holdId) },
        { key: 'key', label: 'Hold key', render: (h) => h.holdKey },
        { key: 'wallet', label: 'Wallet', render: (h) => h.wallet },
        creditsColumn<Hold>('credits', 'Credits', (h) => h.credits),
        { key: 'status', label: 'Status', render: (h) => h.status, compare: by((h) => h.status) },
        { key: 'placed', label: 'Placed', render: (h) => <Time iso={h.placedAt} />, compare: by((h) => h.placedAt) },
        { key: 'expires', label: 'Expires', render: (h) => <Time iso={h.expiresAt} /> },
        { key: 'ended', label: 'Ended', render: (h) => <Time iso={h.endedAt} /> },
        { key: 'usage', label: 'Captured by', render: (h) => (h.usage ? `event ${h.usage.id} from ${h.usage.source}` : '–') },
      ]}
    />
  );
}

function Invoices({ accountId }: { accountId: string }) {
  const invoices = useLoad(() => getAllPages<Invoice, 'invoices'>('/v1/invoices', 'invoices', { accountId, limit: 1000 }), [accountId]);
  return (
    <Show loaded={invoices}>
      {(page) => (
        <>
          <InvoiceTable invoices={page.items} caption={`${page.items.length} invoices`} showAccount={false} />
          {page.items.map((i) => (
            <details key={i.number} class="lines">
              <summary>
                Lines of {i.number} (<Money cents={i.totalCents} />)
              </summary>
              <InvoiceLines invoice={i} />
            </details>
          ))}
        </>
      )}
    </Show>
  );
}

export function InvoiceLines({ invoice }: { invoice: Invoice }) {
  return (
    <Table
      caption={`Lines of invoice ${invoice.number}`}
      rows={invoice.lines.map((l, n) => ({ ...l, n }))}
      rowKey={(l) => String(l.n)}
      testid="invoice-lines"
      columns={[
        { key: 'description', label: 'Description', render: (l) => l.description },
        { key: 'quantity', label: 'Quantity (credits)', numeric: true, render: (l) => <Credits value={l.quantity} /> },
        { key: 'unit', label: 'Unit price', numeric: true, render: (l) => <Money cents={l.unitPriceCents} /> },
        { key: 'amount', label: 'Amount', numeric: true, render: (l) => <Money cents={l.amountCents} /> },
      ]}
    />
  );
}

function Notifications({ notifications }: { notifications: Notification[] }) {
  return (
    <Table
      caption={`${notifications.length} notifications, oldest first`}
      rows={notifications}
      rowKey={(n) => n.id}
      empty="No notifications."
      testid="notifications-table"
      columns={[
        { key: 'at', label: 'When', render: (n) => <Time iso={n.at} />, compare: by((n) => n.at) },
        { key: 'kind', label: 'Kind', render: (n) => n.kind, compare: by((n) => n.kind) },
        { key: 'wallet', label: 'Wallet', render: (n) => n.wallet ?? '–' },
        {
          key: 'data',
          label: 'What',
          render: (n) =>
            Object.entries(n.data)
              .filter(([, v]) => v !== null && v !== undefined)
              .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
              .join(', '),
        },
        {
          key: 'delivered',
          label: 'Delivered',
          render: (n) => (n.deliveredAt ? <Time iso={n.deliveredAt} /> : `not yet (${n.attempts ?? 0} attempts)`),
        },
      ]}
    />
  );
}

function Downloads({ accountId, first, now }: { accountId: string; first?: string; now?: string }) {
  const defaults = useMemo(() => {
    const start = first ? monthOf(first) : now ? monthOf(now) : new Date().toISOString().slice(0, 7);
    const end = addMonths(now ? monthOf(now) : start, 1);
    return { from: monthBounds(start).from.slice(0, 10), to: monthBounds(end).from.slice(0, 10) };
  }, [first, now]);
  const [from, setFrom] = useState<string>();
  const [to, setTo] = useState<string>();
  const f = from ?? defaults.from;
  const t = to ?? defaults.to;
  const instants = { from: `${f}T00:00:00.000Z`, to: `${t}T00:00:00.000Z` };
  return (
    <>
      <form class="period" onSubmit={(e) => e.preventDefault()} aria-label="Period of the downloads">
        <label for="dl-from">From (UTC day)</label>
        <input id="dl-from" type="date" value={f} onChange={(e) => setFrom(e.currentTarget.value)} />
        <label for="dl-to">To (exclusive)</label>
        <input id="dl-to" type="date" value={t} onChange={(e) => setTo(e.currentTarget.value)} />
      </form>
      {f < t ? (
        <p class="hint">
          CSV files of {accountId} from {f} to {t} (UTC), fetched with your key.
        </p>
      ) : (
        <p class="note failed" role="alert">
          The period must end after it starts.
        </p>
      )}
      <div class="downloads">
        <Download
          label="Entries (CSV)"
          name={`entries-${accountId}.csv`}
          path={path('/v1/exports/entries.csv', { accountId, ...instants })}
        />
        <Download
          label="Invoice lines (CSV)"
          name={`invoices-${accountId}.csv`}
          path={path('/v1/exports/invoices.csv', { accountId, ...instants })}
        />
        <Download
          label="Usage by day (CSV)"
          name={`usage-${accountId}.csv`}
          path={path('/v1/exports/usage.csv', { accountId, from: f, to: t, groupBy: 'day' })}
        />
        <Download
          label="Credit flows by month (CSV)"
          name={`credit-flows-${accountId}.csv`}
          path={path('/v1/exports/credit-flows.csv', { accountId, ...instants, groupBy: 'month' })}
        />
      </div>
    </>
  );
}
