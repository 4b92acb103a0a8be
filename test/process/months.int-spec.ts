// Simulated months on the running service: the clock moves day by day (PUT /v1/simulation/clock
// answers once every process manager has caught up), usage arrives as it happens, and what must
// happen on time happens once: the 90 % renewal, the day-30 expiry and its day-31 gap, the
// overage invoice at the period's end.
import { CLOCK, SimulatedClock } from '@ledger/service/kit/clock';
import {
  accountEvents,
  eventually,
  balances,
  checkExactlyOnce,
  days,
  describeEachBackend,
  entries,
  invoices,
  Ledger,
  liveSession,
  moveClock,
  notifications,
  openAccount,
  Place,
  postEvents,
  startLedger,
  video,
} from './support';

describeEachBackend('simulated months', (backend) => {
  let place: Place;
  let ledger: Ledger;
  beforeEach(async () => {
    place = backend.place();
    ledger = await startLedger(place);
  });
  afterEach(async () => {
    await ledger?.close();
    await place?.cleanup();
  });

  it('a Scale account with auto-renew renews at exactly 90 % of its grant, once', async () => {
    await openAccount(ledger, 'acct_scale', { plan: 'api_scale', autoRenew: true });
    // 50 credits a day for 11 days: 550 of 660 (83 %)
    for (const day of days('2026-01-02T00:00:00Z', '2026-01-13T00:00:00Z')) {
      await moveClock(ledger, day);
      await postEvents(ledger, [video('acct_scale', new Date(Date.parse(day) - 3_600_000).toISOString(), 50)]);
    }
    // 593.5 credits: 89.9 %, no renewal
    await moveClock(ledger, '2026-01-13T12:00:00Z');
    await postEvents(ledger, [video('acct_scale', '2026-01-13T10:00:00Z', 43.5)]);
    expect((await invoices(ledger, 'acct_scale')).filter((i) => i.kind === 'plan')).toHaveLength(1);
    // 594 credits: exactly 90 %, renewed at that record's time
    await postEvents(ledger, [video('acct_scale', '2026-01-13T11:00:00Z', 0.5)]);
    // and more usage the same day, and the rest of the month, with the clock moving on
    await postEvents(ledger, [video('acct_scale', '2026-01-13T11:30:00Z', 10)]);
    for (const day of days('2026-01-14T00:00:00Z', '2026-02-02T00:00:00Z')) await moveClock(ledger, day);

    const plans = (await invoices(ledger, 'acct_scale')).filter((i) => i.kind === 'plan');
    expect(plans.map((i) => [i.period.startsAt, i.totalCents])).toEqual([
      ['2026-01-01T00:00:00.000Z', 33000],
      ['2026-01-13T11:00:00.000Z', 33000],
    ]);
    const forfeits = (await entries(ledger, 'acct_scale')).filter((e) => e.kind === 'forfeit' && e.reason === 'renewal');
    expect(forfeits.map((e) => [e.at, e.credits])).toEqual([['2026-01-13T11:00:00.000Z', '-66']]);
    const api = (await balances(ledger, 'acct_scale')).wallets.api;
    expect(api).toMatchObject({ plan: 'api_scale', available: '650' });
    const told = await notifications(ledger, 'acct_scale');
    expect(told.filter((n) => n.kind === 'plan_renewed').map((n) => n.at)).toEqual(['2026-01-13T11:00:00.000Z']);
    expect(told.filter((n) => n.kind === 'balance_threshold').map((n) => n.data.threshold)).toEqual([80, 90]);
    checkExactlyOnce(await accountEvents(ledger.store, 'acct_scale'));
  });

  it("a Pro account's lot expires on day 30, and the day-31 gap shows in balances", async () => {
    await openAccount(ledger, 'acct_pro', { plan: 'api_pro' });
    await moveClock(ledger, '2026-01-05T12:00:00Z');
    await postEvents(ledger, [video('acct_pro', '2026-01-05T10:00:00Z', 2)]);
    for (const day of days('2026-01-06T00:00:00Z', '2026-01-31T00:00:00Z')) await moveClock(ledger, day);
    // the clock at 30 January, 23:59:59.999: not yet
    await moveClock(ledger, '2026-01-30T23:59:59.999Z');
    expect((await entries(ledger, 'acct_pro')).filter((e) => e.kind === 'expiry')).toEqual([]);
    // 31 January, 00:00 = 30 days after the grant: expired by the clock, before any usage came
    await moveClock(ledger, '2026-01-31T00:00:00.000Z');
    const expiry = (await entries(ledger, 'acct_pro')).filter((e) => e.kind === 'expiry');
    expect(expiry).toEqual([expect.objectContaining({ credits: '-98', at: '2026-01-31T00:00:00.000Z', provenance: { via: 'clock' } })]);
    // the gap: nothing on 31 January; February's grant on 1 February
    await moveClock(ledger, '2026-01-31T12:00:00Z');
    expect((await balances(ledger, 'acct_pro')).wallets.api.available).toBe('0');
    await moveClock(ledger, '2026-02-01T00:00:00Z');
    expect((await balances(ledger, 'acct_pro')).wallets.api.available).toBe('100');
    expect((await balances(ledger, 'acct_pro', '2026-01-31T12:00:00Z')).wallets.api.available).toBe('0');
    expect((await balances(ledger, 'acct_pro', '2026-01-30T23:59:59.999Z')).wallets.api.available).toBe('98');
    // and a second month: its lot expires on 3 March, the period ends on 1 March
    for (const day of days('2026-02-02T00:00:00Z', '2026-03-05T00:00:00Z')) await moveClock(ledger, day);
    const all = await entries(ledger, 'acct_pro');
    expect(all.filter((e) => e.kind === 'expiry').map((e) => [e.at, e.credits])).toEqual([
      ['2026-01-31T00:00:00.000Z', '-98'],
      ['2026-03-03T00:00:00.000Z', '-100'],
    ]);
    expect((await invoices(ledger, 'acct_pro')).map((i) => i.period.startsAt)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
    const told = await notifications(ledger, 'acct_pro');
    expect(told.filter((n) => n.kind === 'lot_expired').map((n) => n.at)).toEqual(['2026-01-31T00:00:00.000Z', '2026-03-03T00:00:00.000Z']);
    checkExactlyOnce(await accountEvents(ledger.store, 'acct_pro'));
  });

  it('a LiveAvatar account with overage gets one overage invoice with the right cents', async () => {
    await openAccount(ledger, 'acct_live', { plan: 'live_avatar', allowOverage: true });
    await moveClock(ledger, '2026-01-10T00:00:00Z');
    // 520 minutes of Full SDK = 1,040 credits (40 beyond the grant), 10.5 minutes of Custom SDK = 10.5
    await postEvents(ledger, [
      liveSession('acct_live', '2026-01-09T23:00:00Z', 520, 'live_avatar_full'),
      liveSession('acct_live', '2026-01-09T23:30:00Z', 10.5, 'live_avatar_custom'),
    ]);
    for (const day of days('2026-01-11T00:00:00Z', '2026-02-03T00:00:00Z')) await moveClock(ledger, day);
    await moveClock(ledger, '2026-03-02T00:00:00Z');

    const overage = (await invoices(ledger, 'acct_live')).filter((i) => i.kind === 'overage');
    expect(overage).toHaveLength(1);
    expect(overage[0]).toMatchObject({
      issuedAt: '2026-02-01T00:00:00.000Z',
      totalCents: 505,
      period: { startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-02-01T00:00:00.000Z' },
    });
    expect(overage[0].lines.map((l: any) => [l.quantity, l.unitPriceCents, l.amountCents])).toEqual([
      ['10.5', 10, 105],
      ['40', 10, 400],
    ]);
    const told = await notifications(ledger, 'acct_live');
    expect(told.filter((n) => n.kind === 'invoice_issued' && n.data.invoiceKind === 'overage').map((n) => n.data.totalCents)).toEqual([
      505,
    ]);
    checkExactlyOnce(await accountEvents(ledger.store, 'acct_live'));
  });

  it('the background runner follows the clock port by itself, without PUT /v1/simulation/clock', async () => {
    await ledger.close();
    ledger = await startLedger(place, { LEDGER_PROCESS_POLL_MS: '20' });
    await openAccount(ledger, 'acct_bg', { plan: 'api_pro' });
    // the clock moves as real time would: nobody asks the process managers to catch up
    ledger.app.get<SimulatedClock>(CLOCK).set('2026-01-31T00:00:00.000Z');
    const expiry = await eventually(
      async () => (await entries(ledger, 'acct_bg')).find((e) => e.kind === 'expiry'),
      'the expiry recorded by the runner',
    );
    expect(expiry).toMatchObject({ at: '2026-01-31T00:00:00.000Z', credits: '-100', provenance: { via: 'clock' } });
    ledger.app.get<SimulatedClock>(CLOCK).set('2026-02-01T00:00:00.000Z');
    await eventually(async () => (await invoices(ledger, 'acct_bg')).length === 2, 'February invoiced by the runner');
    await eventually(async () => (await notifications(ledger, 'acct_bg')).some((n) => n.kind === 'lot_expired'), 'the expiry told');
    checkExactlyOnce(await accountEvents(ledger.store, 'acct_bg'));
  });
});
