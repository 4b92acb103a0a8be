// The finance API over the read models, after the sample month: filters and pages, 400s naming
// the field, 404s, totals that reconcile (invoice lines = invoice total; charges by usage kind =
// usage by kind; balances = their entries), CSV exports with exact decimals, /metrics, /health.
import { FinanceProjections } from '@ledger/service/projections/finance-projections.service';
import { eachDatabase, freshSchema, micros, playSampleMonth, SAMPLE_ACCOUNTS, Service, startService } from './support';

const JANUARY = { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' };
const fieldsOf = (body: any): string[] => (body.details ?? []).map((d: any) => d.field);
const sum = (xs: string[]) => xs.reduce((t, x) => t + micros(x), 0n);

/** Every page of a list, following nextCursor. */
async function allPages(s: Service, path: string, query: Record<string, unknown>, key: 'entries' | 'invoices') {
  const out: any[] = [];
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    const res = await s.http
      .get(path)
      .query({ ...query, ...(cursor ? { cursor } : {}) })
      .expect(200);
    out.push(...res.body[key]);
    if (!res.body.nextCursor) return { items: out, pages: pages + 1 };
    cursor = res.body.nextCursor;
  }
}

const parseCsv = (text: string): Record<string, string>[] => {
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r') continue;
    else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
};

eachDatabase('the finance API after the sample month', (target) => {
  let s: Service;

  beforeAll(async () => {
    s = await startService(target, freshSchema('svc'));
    await playSampleMonth(s);
  }, 120_000);
  afterAll(() => s?.close());

  describe('entries', () => {
    it('are those of history, in log order: the read model and a fold of the stream agree entry for entry', async () => {
      for (const { accountId } of SAMPLE_ACCOUNTS) {
        const fromReadModel = (await s.http.get(`/v1/accounts/${accountId}/entries`).expect(200)).body;
        const fromHistory = (await s.http.get(`/v1/accounts/${accountId}/entries`).query({ asOf: '2100-01-01T00:00:00Z' }).expect(200))
          .body;
        expect(fromReadModel.entries.length).toBeGreaterThan(3);
        expect(fromReadModel.entries).toEqual(fromHistory.entries);
        expect(fromReadModel.nextCursor).toBeNull();
        const positions = fromReadModel.entries.map((e: any) => BigInt(e.position));
        expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }
    });

    it('come in pages of `limit`, joined by nextCursor, the same as one big page', async () => {
      const all = (await s.http.get('/v1/accounts/acct_scale/entries').expect(200)).body.entries;
      const paged = await allPages(s, '/v1/accounts/acct_scale/entries', { limit: 4 }, 'entries');
      expect(paged.pages).toBe(Math.ceil(all.length / 4));
      expect(paged.items).toEqual(all);
    });

    it('filter by kind (one or a list), wallet and time', async () => {
      const all = (await s.http.get('/v1/accounts/acct_live/entries').expect(200)).body.entries as any[];
      const overage = (await s.http.get('/v1/accounts/acct_live/entries').query({ kind: 'overage' }).expect(200)).body.entries;
      expect(overage).toEqual(all.filter((e) => e.kind === 'overage'));
      expect(overage.length).toBeGreaterThan(0);
      const grantsAndExpiries = (await s.http.get('/v1/accounts/acct_live/entries').query({ kind: 'grant,expiry' }).expect(200)).body
        .entries;
      expect(grantsAndExpiries).toEqual(all.filter((e) => e.kind === 'grant' || e.kind === 'expiry'));
      const api = (await s.http.get('/v1/accounts/acct_live/entries').query({ wallet: 'api' }).expect(200)).body.entries;
      expect(api).toEqual(all.filter((e) => e.wallet === 'api'));
      const window = { from: '2026-01-10T00:00:00Z', to: '2026-01-20T00:00:00Z' };
      const between = (await s.http.get('/v1/accounts/acct_live/entries').query(window).expect(200)).body.entries;
      expect(between).toEqual(all.filter((e) => e.at >= '2026-01-10T00:00:00.000Z' && e.at < '2026-01-20T00:00:00.000Z'));
      expect(between.length).toBeGreaterThan(0);
      const paged = await allPages(s, '/v1/accounts/acct_live/entries', { ...window, kind: 'charge', limit: 3 }, 'entries');
      expect(paged.items).toEqual(between.filter((e: any) => e.kind === 'charge'));
    });

    it('as of an instant come from history, with the same filters and pages', async () => {
      const asOf = '2026-01-15T00:00:00.000Z';
      const all = (await s.http.get('/v1/accounts/acct_pro/entries').expect(200)).body.entries as any[];
      const then = (await s.http.get('/v1/accounts/acct_pro/entries').query({ asOf }).expect(200)).body;
      expect(then.asOf).toBe(asOf);
      expect(then.entries).toEqual(all.filter((e) => e.at <= asOf));
      const paged = await allPages(s, '/v1/accounts/acct_pro/entries', { asOf, limit: 2, kind: 'charge' }, 'entries');
      expect(paged.items).toEqual(all.filter((e) => e.at <= asOf && e.kind === 'charge'));
    });

    it('refuse bad filters and cursors with 400 naming the field; unknown accounts 404', async () => {
      const bad = async (query: Record<string, unknown>, field: string) => {
        const res = await s.http.get('/v1/accounts/acct_pro/entries').query(query);
        expect([res.status, fieldsOf(res.body)]).toEqual([400, [field]]);
      };
      await bad({ kind: 'refund' }, 'kind');
      await bad({ kind: 'charge,,grant' }, 'kind');
      await bad({ wallet: 'savings' }, 'wallet');
      await bad({ from: 'yesterday' }, 'from');
      await bad({ to: '2026-01-10T00:00:00' }, 'to'); // no UTC offset
      await bad({ asOf: 'soon' }, 'asOf');
      await bad({ limit: 0 }, 'limit');
      await bad({ limit: 10_001 }, 'limit');
      await bad({ limit: 'ten' }, 'limit');
      await bad({ cursor: 'not a cursor!' }, 'cursor');
      await bad({ cursor: Buffer.from('e1.12').toString('base64url') }, 'cursor');
      const invoicesCursor = (await s.http.get('/v1/invoices').query({ limit: 1 }).expect(200)).body.nextCursor;
      await bad({ cursor: invoicesCursor }, 'cursor'); // a cursor of another list
      await bad({ surprise: 1 }, 'surprise');
      const unknown = await s.http.get('/v1/accounts/acct_nobody/entries');
      expect([unknown.status, unknown.body.error]).toEqual([404, 'account_not_found']);
      expect((await s.http.get('/v1/accounts/acct_nobody/entries').query({ asOf: '2026-01-15T00:00:00Z' })).status).toBe(404);
    });
  });

  describe('invoices', () => {
    it('every invoice: the sum of its lines is its total; by number the same as in the list', async () => {
      const all = (await s.http.get('/v1/invoices').expect(200)).body.invoices as any[];
      expect(all.length).toBeGreaterThanOrEqual(6);
      for (const i of all) {
        expect(i.lines.reduce((t: number, l: any) => t + l.amountCents, 0)).toBe(i.totalCents);
        expect((await s.http.get(`/v1/invoices/${i.number}`).expect(200)).body).toEqual(i);
      }
    });

    it('filter by account, kind and issue time; pages', async () => {
      const all = (await s.http.get('/v1/invoices').expect(200)).body.invoices as any[];
      const live = (await s.http.get('/v1/invoices').query({ accountId: 'acct_live' }).expect(200)).body.invoices;
      expect(live).toEqual(all.filter((i) => i.accountId === 'acct_live'));
      const overage = (await s.http.get('/v1/invoices').query({ kind: 'overage' }).expect(200)).body.invoices;
      expect(overage).toEqual(all.filter((i) => i.kind === 'overage'));
      expect(overage.map((i: any) => i.accountId)).toContain('acct_live');
      const feb = (await s.http.get('/v1/invoices').query({ from: '2026-02-01T00:00:00Z' }).expect(200)).body.invoices;
      expect(feb).toEqual(all.filter((i) => i.issuedAt >= '2026-02-01T00:00:00.000Z'));
      const jan = (await s.http.get('/v1/invoices').query({ to: '2026-02-01T00:00:00Z' }).expect(200)).body.invoices;
      expect([...jan, ...feb]).toEqual(all);
      expect((await allPages(s, '/v1/invoices', { limit: 2 }, 'invoices')).items).toEqual(all);
    });

    it('the overage invoiced for a period is the overage entries of that period, kind by kind', async () => {
      const invoices = (await s.http.get('/v1/invoices').query({ kind: 'overage' }).expect(200)).body.invoices as any[];
      for (const inv of invoices) {
        const overage = (await s.http.get(`/v1/accounts/${inv.accountId}/entries`).query({ kind: 'overage' }).expect(200)).body
          .entries as any[];
        const ofPeriod = overage.filter((e) => e.periodId === inv.period.id);
        for (const line of inv.lines) {
          expect(sum(ofPeriod.filter((e) => e.usage.kind === line.usageKind).map((e) => e.credits))).toBe(micros(line.quantity));
        }
      }
    });

    it('unknown numbers and accounts 404; a bad kind 400', async () => {
      for (const n of ['INV-acct_pro-9999', 'INV-acct_nobody-0001', 'nonsense']) {
        const res = await s.http.get(`/v1/invoices/${n}`);
        expect([res.status, res.body.error]).toEqual([404, 'invoice_not_found']);
      }
      expect((await s.http.get('/v1/invoices').query({ accountId: 'acct_nobody' })).status).toBe(404);
      const res = await s.http.get('/v1/invoices').query({ kind: 'refund' });
      expect([res.status, fieldsOf(res.body)]).toEqual([400, ['kind']]);
    });
  });

  describe('usage', () => {
    it('charges by usage kind (drawn, overage and uncovered) = usage by kind, for every account', async () => {
      for (const { accountId } of SAMPLE_ACCOUNTS) {
        const entries = (await s.http.get(`/v1/accounts/${accountId}/entries`).query({ kind: 'charge,overage,uncovered' }).expect(200)).body
          .entries as any[];
        const usage = (await s.http.get('/v1/usage').query({ accountId }).expect(200)).body;
        const byKind = new Map<string, bigint>();
        for (const e of entries)
          byKind.set(e.usage.kind, (byKind.get(e.usage.kind) ?? 0n) + (e.kind === 'charge' ? -micros(e.credits) : micros(e.credits)));
        expect(usage.totals.byKind.map((t: any) => [t.usageKind, micros(t.credits)])).toEqual(
          [...byKind].sort(([a], [b]) => a.localeCompare(b)),
        );
        // and a record is counted once, whatever entries it made
        expect(usage.totals.records).toBe(entries.filter((e) => e.kind === 'charge').length);
      }
    });

    it('by day and by month: the same totals; rows per account, period and kind', async () => {
      const days = (await s.http.get('/v1/usage').query({ from: '2026-01-01', to: '2026-02-01' }).expect(200)).body;
      const months = (await s.http.get('/v1/usage').query({ groupBy: 'month', from: '2026-01-01T00:00:00Z', to: '2026-02-01' }).expect(200))
        .body;
      expect(days.groupBy).toBe('day');
      expect(days.usage.every((u: any) => /^2026-01-\d\d$/.test(u.period))).toBe(true);
      expect(months.usage.every((u: any) => u.period === '2026-01')).toBe(true);
      expect(months.totals).toEqual(days.totals);
      expect(sum(days.usage.map((u: any) => u.credits))).toBe(micros(days.totals.credits));
      // a month cut at a day: the daily rows of those days, summed by month
      const half = (await s.http.get('/v1/usage').query({ groupBy: 'month', from: '2026-01-10', to: '2026-01-20' }).expect(200)).body;
      const halfDays = (await s.http.get('/v1/usage').query({ from: '2026-01-10', to: '2026-01-20' }).expect(200)).body;
      expect(half.totals).toEqual(halfDays.totals);
    });

    it('refuses a bound that is not a day, 404s an unknown account', async () => {
      const res = await s.http.get('/v1/usage').query({ from: '2026-01-10T12:00:00Z' });
      expect([res.status, fieldsOf(res.body)]).toEqual([400, ['from']]);
      expect(fieldsOf((await s.http.get('/v1/usage').query({ groupBy: 'week' }).expect(400)).body)).toEqual(['groupBy']);
      expect(fieldsOf((await s.http.get('/v1/usage').query({ from: '2026-01-10', to: '2026-01-10' }).expect(400)).body)).toEqual(['to']);
      expect((await s.http.get('/v1/usage').query({ accountId: 'acct_nobody' })).status).toBe(404);
    });
  });

  describe('balances in the read models', () => {
    it('are their entries: granted less charged, expired and forfeited (corrections added back); overage and uncovered too', async () => {
      await s.http.get('/v1/invoices').expect(200); // caught up
      const rows = await s.db.query<any>(`SELECT * FROM ${s.app.get(FinanceProjections).schema}.balances`);
      expect(rows.length).toBeGreaterThan(4);
      for (const b of rows) {
        const entries = (await s.http.get(`/v1/accounts/${b.account_id}/entries`).query({ wallet: b.wallet }).expect(200)).body
          .entries as any[];
        const of = (...kinds: string[]) => sum(entries.filter((e) => kinds.includes(e.kind)).map((e) => e.credits));
        expect(BigInt(b.available)).toBe(of('grant', 'charge', 'expiry', 'forfeit', 'correction'));
        expect(BigInt(b.overage)).toBe(of('overage'));
        expect(BigInt(b.uncovered)).toBe(of('uncovered'));
        // Every expiry due by now is recorded (1 February): what history says is available now.
        const now = (await s.http.get(`/v1/accounts/${b.account_id}/balances`).expect(200)).body.wallets[b.wallet];
        expect(BigInt(b.available)).toBe(micros(now.available));
      }
    });
  });

  describe('CSV exports of January', () => {
    it('entries.csv: every entry of the period, exact decimal credits, provenance', async () => {
      const res = await s.http.get('/v1/exports/entries.csv').query(JANUARY).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/attachment; filename="entries_/);
      const rows = parseCsv(res.text);
      let expected = 0;
      for (const { accountId } of SAMPLE_ACCOUNTS) {
        const entries = (await s.http.get(`/v1/accounts/${accountId}/entries`).query(JANUARY).expect(200)).body.entries as any[];
        expected += entries.length;
        const mine = rows.filter((r) => r.account_id === accountId);
        expect(mine.map((r) => [r.position, r.kind, r.credits]).sort()).toEqual(entries.map((e) => [e.position, e.kind, e.credits]).sort());
      }
      expect(rows).toHaveLength(expected);
      expect(rows.every((r) => /^-?\d+(\.\d{1,6})?$/.test(r.credits))).toBe(true);
      const charge = rows.find((r) => r.kind === 'charge')!;
      expect(JSON.parse(charge.provenance)).toMatchObject({ via: 'http', event: { id: charge.usage_id } });
      const times = rows.map((r) => r.at);
      expect(times).toEqual([...times].sort());
    });

    it('invoices.csv: a row per line; the lines of each invoice add up to its total', async () => {
      const rows = parseCsv(
        (await s.http.get('/v1/exports/invoices.csv').query({ from: JANUARY.from, to: '2026-02-02T00:00:00Z' }).expect(200)).text,
      );
      const byNumber = new Map<string, { total: number; lines: number }>();
      for (const r of rows) {
        const x = byNumber.get(r.number) ?? { total: Number(r.invoice_total_cents), lines: 0 };
        x.lines += Number(r.amount_cents);
        byNumber.set(r.number, x);
        expect(r.quantity).toMatch(/^\d+(\.\d{1,6})?$/);
      }
      const invoices = (await s.http.get('/v1/invoices').query({ to: '2026-02-02T00:00:00Z' }).expect(200)).body.invoices as any[];
      expect([...byNumber.keys()].sort()).toEqual(invoices.map((i) => i.number).sort());
      for (const [, x] of byNumber) expect(x.lines).toBe(x.total);
    });

    it('usage.csv: the usage rows of the API', async () => {
      const rows = parseCsv((await s.http.get('/v1/exports/usage.csv').query({ from: '2026-01-01', to: '2026-02-01' }).expect(200)).text);
      const api = (await s.http.get('/v1/usage').query({ from: '2026-01-01', to: '2026-02-01' }).expect(200)).body.usage as any[];
      expect(rows.map((r) => [r.account_id, r.day, r.usage_kind, r.records, r.credits])).toEqual(
        api.map((u) => [u.accountId, u.period, u.usageKind, String(u.records), u.credits]),
      );
    });

    it('need a period: 400 naming the field', async () => {
      expect(fieldsOf((await s.http.get('/v1/exports/entries.csv').query({ to: JANUARY.to }).expect(400)).body)).toEqual(['from']);
      expect(
        fieldsOf((await s.http.get('/v1/exports/invoices.csv').query({ from: JANUARY.to, to: JANUARY.from }).expect(400)).body),
      ).toEqual(['to']);
      expect(fieldsOf((await s.http.get('/v1/exports/usage.csv').query({ from: '2026-01-01', to: 'later' }).expect(400)).body)).toEqual([
        'to',
      ]);
      expect((await s.http.get('/v1/exports/entries.csv').query({ ...JANUARY, accountId: 'acct_nobody' })).status).toBe(404);
    });
  });

  describe('operations', () => {
    it('GET /health: the store, and the projection caught up (lag 0)', async () => {
      await s.http.get('/v1/invoices').expect(200);
      const res = await s.http.get('/health').expect(200);
      expect(res.body).toMatchObject({ status: 'ok', store: 'ok', projection: { lag: 0, running: true, leader: true } });
      expect(res.body.projection.head).toBe(res.body.projection.checkpoint);
      expect(res.body.projection.head).toBeGreaterThan(100);
    });

    it('GET /metrics: head, checkpoint and lag as gauges, in the Prometheus text format', async () => {
      const res = await s.http.get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0.0.4/);
      const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(res.text)?.[1]);
      expect(res.text).toContain('# TYPE ledger_projection_lag_events gauge');
      expect(value('ledger_projection_lag_events')).toBe(
        value('ledger_projection_head_position') - value('ledger_projection_checkpoint_position'),
      );
      expect(value('ledger_projection_head_position')).toBeGreaterThan(100);
      expect(value('ledger_projection_events_applied_total')).toBeGreaterThan(100);
    });
  });
});
