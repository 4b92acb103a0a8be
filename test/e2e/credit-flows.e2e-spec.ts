// GET /v1/reports/credit-flows and its CSV (api.md "Accounts and reports"): credits granted,
// consumed, expired, forfeited, corrected, overage and uncovered per UTC day or month of the
// entries' event time and wallet, each the sum of the matching entries. Over the demo's sample
// month (with its holds) every total is checked against the entries of every account; a small
// history shows the figures themselves; the bounds of the parameters; UTC whatever the session's
// time zone. (Random histories: credit-flows-property.e2e-spec.ts.)
import { LEDGER_DATABASE, SqlClient } from '@ledger/event-store';
import { parseCredits } from '@ledger/domain';
import { CreditFlowFilter, csvItems, entriesOf, Entry, expectedFlows, FLOWS } from './credit-flow-sums';
import { playSampleMonth, SAMPLE_ACCOUNTS } from '../projections/support';
import { Ledger, moveClock, openAccount, postEvents, renderCompleted, startLedger, startPlan } from './support';

describe('over the sample month of the demo (with its holds)', () => {
  let ledger: Ledger;
  let all: Entry[];
  beforeAll(async () => {
    ledger = await startLedger();
    await playSampleMonth(ledger, { holds: true });
    await moveClock(ledger, '2026-02-03T00:00:00.000Z'); // a little of February too
    all = (await Promise.all(SAMPLE_ACCOUNTS.map((a) => entriesOf(ledger, a.accountId, 100)))).flat();
  }, 120_000);
  afterAll(() => ledger?.close());

  const cases = [
    { groupBy: 'month' as const },
    { groupBy: 'day' as const },
    { groupBy: 'month' as const, wallet: 'api' },
    { groupBy: 'day' as const, wallet: 'live_avatar', from: '2026-01-10', to: '2026-01-20' },
    { groupBy: 'month' as const, from: '2026-01-31', to: '2026-02-02' },
    ...SAMPLE_ACCOUNTS.flatMap((a) => [
      { groupBy: 'month' as const, accountId: a.accountId },
      { groupBy: 'day' as const, accountId: a.accountId },
    ]),
  ];
  it.each(cases)('every total is the sum of the matching entries: %j', async (f) => {
    const res = await ledger.http.get('/v1/reports/credit-flows').query(f);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual(expectedFlows(all, f));
    expect(res.body.items.length).toBeGreaterThan(0);
    const { groupBy, ...filters } = f;
    expect(res.body).toMatchObject({ groupBy, ...filters });
  });

  it('January of every account at once: what the month granted, used and lost', async () => {
    const res = await ledger.http.get('/v1/reports/credit-flows').query({ from: '2026-01-01', to: '2026-02-01' });
    expect(res.body.groupBy).toBe('month'); // the default
    expect(res.body.items).toEqual([
      {
        period: '2026-01',
        wallet: 'api',
        granted: '1460', // four free grants of 10, Pro's 100, Scale's 660 and its renewal's 660
        consumed: '1125.510002',
        expired: '21.989998',
        forfeited: '57.5', // the free grants of the Pro and Scale accounts, what was left of Scale's first grant at its renewal
        corrected: '0',
        overage: '0',
        uncovered: '0.5',
        net: '255', // still in Scale's renewal lot on 1 February
      },
      {
        period: '2026-01',
        wallet: 'live_avatar',
        granted: '1000',
        consumed: '1000',
        expired: '0',
        forfeited: '0',
        corrected: '0',
        overage: '126.083344',
        uncovered: '0',
        net: '0',
      },
    ]);
    for (const item of res.body.items) {
      const m = (k: string) => parseCredits(item[k]);
      expect(m('net')).toBe(m('granted') - m('consumed') - m('expired') - m('forfeited') + m('corrected'));
    }
  });

  it('the CSV export says what the report says, for the same filters', async () => {
    for (const f of [{ groupBy: 'month' }, { groupBy: 'day', accountId: 'acct_live', wallet: 'live_avatar' }] as CreditFlowFilter[]) {
      const json = (await ledger.http.get('/v1/reports/credit-flows').query(f)).body.items;
      const res = await ledger.http.get('/v1/exports/credit-flows.csv').query(f);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="credit-flows_/);
      expect(csvItems(res.text, f)).toEqual(json);
    }
  });
});

describe('a small history, figure by figure', () => {
  let ledger: Ledger;
  beforeAll(async () => {
    ledger = await startLedger(); // 2026-01-01T00:00:00Z
    await openAccount(ledger, 'acct_a');
    await startPlan(ledger, 'acct_a', { plan: 'api_pro' }); // the free grant of 10 forfeited, 100 granted
    await openAccount(ledger, 'acct_b'); // 10 free credits
    await moveClock(ledger, '2026-01-10T12:00:00Z');
    await postEvents(ledger, [
      renderCompleted({ subject: 'acct_a', time: '2026-01-10T11:00:00Z', durationMs: 103_000 }), // 2
      renderCompleted({ subject: 'acct_b', time: '2026-01-10T11:00:00Z', durationMs: 660_000 }), // 11.5: 10 drawn, 1.5 uncovered
    ]);
    await moveClock(ledger, '2026-02-01T00:00:00Z'); // Jan 31: 98 of acct_a's lot expire; Feb 1: new grants
    // a late record of 30 January draws on the lot whose expiry was recorded: 0.5 credit given back to it
    await postEvents(ledger, [renderCompleted({ subject: 'acct_a', time: '2026-01-30T10:00:00Z', durationMs: 20_000 })]);
  }, 60_000);
  afterAll(() => ledger?.close());

  it('by month, over every account', async () => {
    const res = await ledger.http.get('/v1/reports/credit-flows');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      groupBy: 'month',
      items: [
        {
          period: '2026-01',
          wallet: 'api',
          granted: '120', // 10 + 10 free, 100 Pro
          consumed: '12.5', // 2 + 10 + the late 0.5
          expired: '98',
          forfeited: '10',
          corrected: '0.5',
          overage: '0',
          uncovered: '1.5',
          net: '0',
        },
        {
          period: '2026-02',
          wallet: 'api',
          granted: '110',
          consumed: '0',
          expired: '0',
          forfeited: '0',
          corrected: '0',
          overage: '0',
          uncovered: '0',
          net: '110',
        },
      ],
    });
  });

  it('by day, for one account and wallet: the account is named in every item', async () => {
    const res = await ledger.http
      .get('/v1/reports/credit-flows')
      .query({ groupBy: 'day', accountId: 'acct_a', wallet: 'api', to: '2026-02-01' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accountId: 'acct_a', wallet: 'api', to: '2026-02-01', groupBy: 'day' });
    expect(res.body.items.map((i: any) => [i.period, i.accountId, i.granted, i.consumed, i.expired, i.forfeited, i.corrected])).toEqual([
      ['2026-01-01', 'acct_a', '110', '0', '0', '10', '0'],
      ['2026-01-10', 'acct_a', '0', '2', '0', '0', '0'],
      ['2026-01-30', 'acct_a', '0', '0.5', '0', '0', '0'],
      ['2026-01-31', 'acct_a', '0', '0', '98', '0', '0.5'], // the correction's time is the expiry it corrects
    ]);
  });

  it('periods are UTC days and months whatever the time zone of the database session', async () => {
    const before = (await ledger.http.get('/v1/reports/credit-flows').query({ groupBy: 'day' })).body;
    const db = ledger.app.get<SqlClient>(LEDGER_DATABASE); // PGlite: one session, the service's
    await db.query(`SET TIME ZONE 'Pacific/Kiritimati'`); // UTC+14
    try {
      const after = (await ledger.http.get('/v1/reports/credit-flows').query({ groupBy: 'day', from: '2026-01-10', to: '2026-01-11' }))
        .body;
      expect(after.items).toEqual(before.items.filter((i: any) => i.period === '2026-01-10'));
      expect((await ledger.http.get('/v1/reports/credit-flows').query({ groupBy: 'day' })).body).toEqual(before);
    } finally {
      await db.query(`SET TIME ZONE 'UTC'`);
    }
  });

  it.each([
    [{ groupBy: 'week' }, 'groupBy'],
    [{ wallet: 'savings' }, 'wallet'],
    [{ from: '2026-01-10T12:00:00Z' }, 'from'], // not a whole UTC day
    [{ to: 'yesterday' }, 'to'],
    [{ from: '2026-02-01', to: '2026-01-01' }, 'to'],
    [{ from: '2026-01-01', to: '2026-01-01' }, 'to'],
    [{ accountId: 'bad id' }, 'accountId'],
    [{ extra: '1' }, 'extra'],
  ])('%j: 400 naming %s, for the report and its CSV', async (query, field) => {
    for (const path of ['/v1/reports/credit-flows', '/v1/exports/credit-flows.csv']) {
      const res = await ledger.http.get(path).query(query);
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: any) => d.field)).toEqual([field]);
    }
  });

  it('404 for an unknown account', async () => {
    const res = await ledger.http.get('/v1/reports/credit-flows').query({ accountId: 'acct_nobody' });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('account_not_found');
    expect((await ledger.http.get('/v1/exports/credit-flows.csv').query({ accountId: 'acct_nobody' })).status).toBe(404);
  });

  it('is in the OpenAPI document, with its answer and the CSV export', async () => {
    const doc = (await ledger.http.get('/docs/json').expect(200)).body;
    const report = doc.paths['/v1/reports/credit-flows'].get;
    expect(report.parameters.map((p: any) => p.name).sort()).toEqual(['accountId', 'from', 'groupBy', 'to', 'wallet']);
    expect(report.responses['200'].content['application/json'].schema.$ref).toMatch(/CreditFlowsDto$/);
    expect(Object.keys(doc.components.schemas.CreditFlowDto.properties)).toEqual(['period', 'accountId', 'wallet', ...FLOWS]);
    const csv = doc.paths['/v1/exports/credit-flows.csv'].get;
    expect(csv.parameters.map((p: any) => p.name).sort()).toEqual(['accountId', 'from', 'groupBy', 'to', 'wallet']);
    expect(Object.keys(csv.responses['200'].content)).toEqual(['text/csv']);
  });
});
