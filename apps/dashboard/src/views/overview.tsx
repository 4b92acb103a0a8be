// Overview, for finance: credit flows per month, the invoices of a month, its overage and
// uncovered usage, and the accounts that need a look (exhausted, close to it, uncovered usage,
// records flagged for review).
import { useMemo } from 'preact/hooks';
import { addCredits, creditsToNumber, parseCredits } from '../amounts';
import { ApiFailure, getAllPages, getJson, path, pool, segment } from '../api';
import { TimeChart } from '../chart';
import { by, Column, Credits, creditsColumn, Download, FailureNote, Money, Section, Show, Table, Time, useLoad } from '../components';
import { go, href } from '../route';
import { Balances, CreditFlows, DirectoryPage, Entry, FLOW_KINDS, FlowKind, Invoice, UsageAnswer, UsageTotals } from '../shapes';
import { addMonths, isMonth, monthBounds, utc } from '../time';

/** How many accounts of the directory's first page the attention list looks into (two reads each). */
const ATTENTION_ACCOUNTS = 50;

const FLOW_COLORS: Record<FlowKind, string> = {
  granted: '#1b7f3b',
  consumed: '#1f5fbf',
  expired: '#b0420e',
  forfeited: '#8a5a00',
  corrected: '#6b3fa0',
  overage: '#c2185b',
  uncovered: '#444',
};

export function OverviewView({ month: asked }: { month?: string }) {
  const flows = useLoad(() => getJson<CreditFlows>(path('/v1/reports/credit-flows', { groupBy: 'month' })), []);
  // The month shown: the one asked for, else the latest of the credit flows, else this month.
  const latest =
    flows.state === 'ok'
      ? flows.data.items
          .map((i) => i.period)
          .sort()
          .pop()
      : undefined;
  const month = isMonth(asked)
    ? asked
    : flows.state === 'loading'
      ? undefined
      : isMonth(latest)
        ? latest
        : new Date().toISOString().slice(0, 7);
  const title = month
    ? new Date(`${month}-01T00:00:00Z`).toLocaleString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' })
    : '…';

  return (
    <>
      <h1 tabIndex={-1}>Overview · {title}</h1>
      {month && (
        <form class="month" onSubmit={(e) => e.preventDefault()} aria-label="Month">
          <button type="button" onClick={() => go(href.overview(addMonths(month, -1)))}>
            <span aria-hidden="true">◀ </span>Previous month
          </button>
          <label for="month">Month (UTC)</label>
          <input
            id="month"
            type="month"
            value={month}
            onChange={(e) => isMonth(e.currentTarget.value) && go(href.overview(e.currentTarget.value))}
          />
          <button type="button" onClick={() => go(href.overview(addMonths(month, 1)))}>
            Next month<span aria-hidden="true"> ▶</span>
          </button>
        </form>
      )}
      <Section
        id="flows"
        title="Credit flows per month"
        actions={
          month && (
            <Download
              label="credit-flows.csv"
              name="credit-flows.csv"
              path={path('/v1/exports/credit-flows.csv', { groupBy: 'month', ...monthBounds(month) })}
            />
          )
        }
      >
        <Show loaded={flows}>{(f) => <Flows flows={f} />}</Show>
      </Section>
      {month && <MonthSections key={month} month={month} />}
    </>
  );
}

/** Sums of the report's items per month (over wallets), exact. */
function flowsByMonth(f: CreditFlows): { period: string; sums: Record<FlowKind, string> }[] {
  const periods = [...new Set(f.items.map((i) => i.period))].sort();
  return periods.map((period) => {
    const items = f.items.filter((i) => i.period === period);
    const sums = Object.fromEntries(FLOW_KINDS.map((k) => [k, addCredits(...items.map((i) => i[k] ?? '0'))])) as Record<FlowKind, string>;
    return { period, sums };
  });
}

function Flows({ flows }: { flows: CreditFlows }) {
  const rows = useMemo(() => flowsByMonth(flows), [flows]);
  const chart = useMemo(() => {
    const xs = rows.map((r) => Date.parse(`${r.period}-01T00:00:00Z`) / 1000);
    return {
      xs,
      xTexts: rows.map((r) => r.period),
      series: FLOW_KINDS.map((k) => ({
        label: k,
        color: FLOW_COLORS[k],
        values: rows.map((r) => creditsToNumber(parseCredits(r.sums[k]))),
        texts: rows.map((r) => r.sums[k]),
        points: true,
      })),
    };
  }, [rows]);
  if (rows.length === 0) return <p class="note">No credit flows yet.</p>;
  const columns: Column<(typeof rows)[number]>[] = [
    { key: 'period', label: 'Month', render: (r) => r.period, compare: by((r) => r.period) },
    ...FLOW_KINDS.map((k) => creditsColumn<(typeof rows)[number]>(k, k, (r) => r.sums[k])),
  ];
  return (
    <>
      <TimeChart
        {...chart}
        ticks="each"
        xLabel="month"
        label={`Credit flows per month from ${rows[0].period} to ${rows[rows.length - 1].period}, all wallets; the table below has the numbers.`}
        testid="flows-chart"
      />
      <Table
        caption="Credit flows per month, all wallets (credits)"
        columns={columns}
        rows={rows}
        rowKey={(r) => r.period}
        testid="flows-table"
      />
    </>
  );
}

function MonthSections({ month }: { month: string }) {
  const { from, to } = monthBounds(month);
  const invoices = useLoad(() => getAllPages<Invoice, 'invoices'>('/v1/invoices', 'invoices', { from, to, limit: 1000 }), [from, to]);
  const usage = useLoad(
    () => getJson<UsageAnswer>(path('/v1/usage', { from: from.slice(0, 10), to: to.slice(0, 10), groupBy: 'month' })),
    [from, to],
  );
  return (
    <>
      <Section
        id="month-invoices"
        title={`Invoices issued in ${month}`}
        actions={<Download label="invoices.csv" name={`invoices-${month}.csv`} path={path('/v1/exports/invoices.csv', { from, to })} />}
      >
        <Show loaded={invoices}>
          {(page) => (
            <>
              <p class="total">
                {page.items.length} invoices, total{' '}
                <Money cents={page.items.reduce((s, i) => s + BigInt(i.totalCents), 0n)} testid="month-invoices-total" />
                {page.truncated && ' (more than shown: narrow the month)'}
              </p>
              <InvoiceTable invoices={page.items} caption={`Invoices issued from ${utc(from)} to ${utc(to)}`} />
            </>
          )}
        </Show>
      </Section>
      <Section
        id="month-owed"
        title={`Overage and uncovered usage in ${month}`}
        actions={
          <>
            <Download
              label="usage.csv"
              name={`usage-${month}.csv`}
              path={path('/v1/exports/usage.csv', { from: from.slice(0, 10), to: to.slice(0, 10), groupBy: 'month' })}
            />
            <Download label="entries.csv" name={`entries-${month}.csv`} path={path('/v1/exports/entries.csv', { from, to })} />
          </>
        }
      >
        <Show loaded={usage}>{(u) => <Owed usage={u} />}</Show>
      </Section>
      <Section id="attention" title="Accounts to look at">
        <Attention month={month} />
      </Section>
    </>
  );
}

export function InvoiceTable({ invoices, caption, showAccount = true }: { invoices: Invoice[]; caption: string; showAccount?: boolean }) {
  const columns: Column<Invoice>[] = [
    { key: 'number', label: 'Invoice', render: (i) => <a href={href.invoice(i.number)}>{i.number}</a>, compare: by((i) => i.number) },
    ...(showAccount
      ? [
          {
            key: 'account',
            label: 'Account',
            render: (i: Invoice) => <a href={href.account(i.accountId)}>{i.accountId}</a>,
            compare: by((i: Invoice) => i.accountId),
          },
        ]
      : []),
    {
      key: 'kind',
      label: 'Kind',
      render: (i) => (i.supplements ? `${i.kind} (supplements ${i.supplements})` : i.kind),
      compare: by((i) => i.kind),
    },
    { key: 'wallet', label: 'Wallet', render: (i) => i.wallet ?? '–' },
    {
      key: 'period',
      label: 'Period',
      render: (i) => (
        <>
          <Time iso={i.period.startsAt} /> – <Time iso={i.period.endsAt} />
        </>
      ),
      compare: by((i) => i.period.startsAt),
    },
    { key: 'issued', label: 'Issued', render: (i) => <Time iso={i.issuedAt} />, compare: by((i) => i.issuedAt) },
    { key: 'total', label: 'Total', numeric: true, render: (i) => <Money cents={i.totalCents} />, compare: by((i) => i.totalCents) },
  ];
  return (
    <Table caption={caption} columns={columns} rows={invoices} rowKey={(i) => i.number} empty="No invoices." testid="invoices-table" />
  );
}

function Owed({ usage }: { usage: UsageAnswer }) {
  const kinds = usage.totals.byKind;
  const overage = addCredits('0', ...kinds.map((k) => k.overage));
  const uncovered = addCredits('0', ...kinds.map((k) => k.uncovered));
  const owed = kinds.filter((k) => k.overage !== '0' || k.uncovered !== '0');
  return (
    <>
      <dl class="figures">
        <div>
          <dt>Overage</dt>
          <dd>
            <Credits value={overage} testid="month-overage" /> credits
          </dd>
        </div>
        <div>
          <dt>Uncovered</dt>
          <dd>
            <Credits value={uncovered} testid="month-uncovered" /> credits
          </dd>
        </div>
        <div>
          <dt>Usage charged</dt>
          <dd>
            <Credits value={usage.totals.credits} /> credits in {usage.totals.records} records
          </dd>
        </div>
      </dl>
      <Table
        caption="Overage and uncovered by usage kind (credits)"
        rows={owed}
        rowKey={(k) => k.usageKind}
        empty="No overage and no uncovered usage this month."
        columns={[
          { key: 'kind', label: 'Usage kind', render: (k) => k.usageKind, compare: by((k) => k.usageKind) },
          creditsColumn<UsageTotals>('overage', 'Overage', (k) => k.overage),
          creditsColumn<UsageTotals>('uncovered', 'Uncovered', (k) => k.uncovered),
        ]}
      />
    </>
  );
}

interface Concern {
  accountId: string;
  name: string;
  reasons: string[];
}

/** Accounts of the directory's first page that are exhausted, close to it (10 % or less of their lots left), owe uncovered usage, or have records of the month flagged for review. */
function Attention({ month }: { month: string }) {
  const { from, to } = monthBounds(month);
  const loaded = useLoad(async () => {
    const dir = await getJson<DirectoryPage>(path('/v1/accounts', { limit: ATTENTION_ACCOUNTS }));
    const concerns = await pool(dir.items, 4, async (a): Promise<Concern> => {
      const reasons: string[] = [];
      for (const [w, b] of Object.entries(a.wallets ?? {})) {
        if (b.exhausted) reasons.push(`${w}: exhausted`);
        if (b.uncovered && b.uncovered !== '0') reasons.push(`${w}: ${b.uncovered} credits uncovered`);
      }
      const [balances, flagged] = await Promise.all([
        getJson<Balances>(`/v1/accounts/${segment(a.accountId)}/balances`).catch((f: ApiFailure) => f),
        getAllPages<Entry, 'entries'>(
          `/v1/accounts/${segment(a.accountId)}/entries`,
          'entries',
          { kind: 'charge', from, to, limit: 1000 },
          5,
        ).catch((f: ApiFailure) => f),
      ]);
      if (balances instanceof ApiFailure) reasons.push(`balances: ${balances.message}`);
      else
        for (const [w, b] of Object.entries(balances.wallets)) {
          const granted = b.lots.reduce((s, l) => s + parseCredits(l.granted), 0n);
          const available = parseCredits(b.available);
          if (!b.exhausted && granted > 0n && available * 10n <= granted)
            reasons.push(`${w}: close to exhaustion, ${b.available} of ${addCredits(...b.lots.map((l) => l.granted))} credits left`);
        }
      if (flagged instanceof ApiFailure) reasons.push(`entries: ${flagged.message}`);
      else {
        const n = flagged.items.filter((e) => (e.usage?.flags ?? []).length > 0);
        if (n.length) reasons.push(`${n.length} records flagged for review (${[...new Set(n.flatMap((e) => e.usage!.flags))].join(', ')})`);
      }
      return { accountId: a.accountId, name: a.name, reasons };
    });
    return { concerns: concerns.filter((c) => c.reasons.length > 0), looked: dir.items.length, more: dir.nextCursor !== null };
  }, [from, to]);
  if (loaded.state === 'failed') return <FailureNote failure={loaded.failure} />;
  return (
    <Show loaded={loaded}>
      {(a) => (
        <>
          <p class="hint">
            {a.looked} accounts looked into{a.more ? ` (the first ${a.looked} of the directory)` : ''}; flagged records are those of {month}
            .
          </p>
          <Table
            caption="Accounts to look at"
            rows={a.concerns}
            rowKey={(c) => c.accountId}
            empty="No account is exhausted, close to it, uncovered or flagged."
            testid="attention-table"
            columns={[
              {
                key: 'account',
                label: 'Account',
                render: (c) => <a href={href.account(c.accountId)}>{c.accountId}</a>,
                compare: by((c) => c.accountId),
              },
              { key: 'name', label: 'Name', render: (c) => c.name, compare: by((c) => c.name) },
              {
                key: 'why',
                label: 'Why',
                render: (c) => (
                  <ul class="plain">
                    {c.reasons.map((r) => (
                      <li key={r}>{r}</li>
                    ))}
                  </ul>
                ),
              },
            ]}
          />
        </>
      )}
    </Show>
  );
}
