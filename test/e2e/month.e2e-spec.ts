// A simulated January on one running service: the prices of pricing.md, balances as of an
// instant, the 30-day expiry gap at the end of the month, invoices, and the ledger entries.
// The tests share one timeline (the clock only moves forward), so they run in order.
import {
  available,
  balances,
  entries,
  Ledger,
  moveClock,
  openAccount,
  postEvents,
  proAccount,
  renderCompleted,
  setClock,
  startLedger,
  startPlan,
  streamingEnded,
} from './support';

let ledger: Ledger;
const MIN = 60_000;

beforeAll(async () => {
  ledger = await startLedger(); // the clock at 2026-01-01T00:00:00Z
  // given, on 1 January: two Pro accounts and a LiveAvatar account with overage switched on
  await proAccount(ledger, 'acct_pro');
  await proAccount(ledger, 'acct_stream');
  await openAccount(ledger, 'acct_live');
  await startPlan(ledger, 'acct_live', { plan: 'live_avatar', allowOverage: true });
});
afterAll(() => ledger?.close());

describe('what usage costs (pricing.md)', () => {
  it('a 1:43 unlimited avatar video costs 2 credits on api_pro: 98 left', async () => {
    // given the 5th of January
    await moveClock(ledger, '2026-01-05T10:00:00Z');
    // when
    const video = renderCompleted({ subject: 'acct_pro', time: '2026-01-05T10:00:00Z', durationMs: 103_000, id: 'video-103s' });
    expect((await postEvents(ledger, [video])).status).toBe(200);
    // then
    const api = (await balances(ledger, 'acct_pro')).wallets.api;
    expect(api).toMatchObject({ plan: 'api_pro', available: '98', overage: '0', uncovered: '0', exhausted: false });
    expect(api.lots).toEqual([
      expect.objectContaining({
        granted: '100',
        remaining: '98',
        issuedAt: '2026-01-01T00:00:00.000Z',
        expiresAt: '2026-01-31T00:00:00.000Z',
      }),
    ]);
  });

  it('a 10-second API stream costs the 30-second minimum: 0.1 credit', async () => {
    const stream = streamingEnded({ subject: 'acct_stream', time: '2026-01-05T09:30:00Z', durationMs: 10_000 });
    await postEvents(ledger, [stream]);
    expect(await available(ledger, 'acct_stream')).toBe('99.9');
  });

  it('more examples of the rate card, each charged as its own record', async () => {
    const t = '2026-01-05T09:00:00Z';
    const cases: [ReturnType<typeof renderCompleted>, string][] = [
      [renderCompleted({ subject: 'acct_stream', time: t, durationMs: 29_999 }), '0.5'],
      [renderCompleted({ subject: 'acct_stream', time: t, durationMs: 60_000 }), '1.5'],
      [renderCompleted({ subject: 'acct_stream', time: t, durationMs: 30_000, engine: 'avatar_iv' }), '6'],
      [streamingEnded({ subject: 'acct_stream', time: t, durationMs: 5 * MIN }), '1'],
      [streamingEnded({ subject: 'acct_stream', time: t, durationMs: 7.5 * MIN }), '1.5'],
      [streamingEnded({ subject: 'acct_stream', time: t, durationMs: 61_000 }), '0.203334'], // 61/300, rounded up
    ];
    await postEvents(
      ledger,
      cases.map(([e]) => e),
    );
    const byId = new Map(
      (await entries(ledger, 'acct_stream')).filter((e) => e.kind === 'charge').map((e) => [e.usage!.id, e.usage!.priced]),
    );
    expect(cases.map(([e]) => byId.get(e.id))).toEqual(cases.map(([, credits]) => credits));
    expect(await available(ledger, 'acct_stream')).toBe('89.196666'); // 99.9 - 10.703334
  });
});

describe('balances as of an instant', () => {
  it('answer from history: before the video 100, at its time 98', async () => {
    const before = await balances(ledger, 'acct_pro', '2026-01-05T09:59:59.999Z');
    expect(before.asOf).toBe('2026-01-05T09:59:59.999Z');
    expect(before.wallets.api.available).toBe('100');
    expect(await available(ledger, 'acct_pro', 'api', '2026-01-05T10:00:00.000Z')).toBe('98');
  });

  it('on the first instant show the Pro grant only (the free grant was forfeited)', async () => {
    const first = await balances(ledger, 'acct_pro', '2026-01-01T00:00:00.000Z');
    expect(first.wallets.api.plan).toBe('api_pro');
    expect(first.wallets.api.lots.map((l) => l.granted)).toEqual(['100']);
  });

  it('refuse an asOf that is no instant: 400', async () => {
    const res = await ledger.http.get('/v1/accounts/acct_pro/balances').query({ asOf: 'last tuesday' });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: any) => d.field)).toEqual(['asOf']);
  });

  it('answer 404 for an unknown account', async () => {
    const res = await ledger.http.get('/v1/accounts/acct_nobody/balances');
    expect(res.status).toBe(404);
  });
});

describe('LiveAvatar with overage', () => {
  it('charges beyond the 1,000 credits as overage, not as uncovered usage', async () => {
    // given the 10th
    await moveClock(ledger, '2026-01-10T00:00:00Z');
    // when 520 minutes of Full SDK (1,040 credits) and 10:30 of Custom SDK (10.5 credits)
    const res = await postEvents(ledger, [
      streamingEnded({ subject: 'acct_live', integration: 'live_avatar_full', time: '2026-01-09T23:00:00Z', durationMs: 520 * MIN }),
      streamingEnded({ subject: 'acct_live', integration: 'live_avatar_custom', time: '2026-01-09T23:30:00Z', durationMs: 10.5 * MIN }),
    ]);
    expect(res.status).toBe(200);
    // then
    const b = await balances(ledger, 'acct_live');
    expect(b.wallets.live_avatar).toMatchObject({ plan: 'live_avatar', available: '0', overage: '50.5', uncovered: '0', exhausted: false });
    expect(b.wallets.api).toMatchObject({ plan: 'api_free', available: '10' }); // credits of one wallet never pay for the other
  });
});

describe('the end of January', () => {
  it("Pro's January grant is gone on 31 January: nothing available, no lot", async () => {
    // when
    await moveClock(ledger, '2026-01-31T12:00:00Z');
    // then
    const api = (await balances(ledger, 'acct_pro')).wallets.api;
    expect(api.available).toBe('0');
    expect(api.lots).toEqual([]);
    expect(api.plan).toBe('api_pro'); // the period runs until 1 February
  });

  it("the expiry is an entry of the 98 credits left, at the lot's expiry instant, recorded by the clock", async () => {
    const expiry = (await entries(ledger, 'acct_pro')).filter((e) => e.kind === 'expiry');
    expect(expiry).toEqual([
      expect.objectContaining({ wallet: 'api', credits: '-98', at: '2026-01-31T00:00:00.000Z', provenance: { via: 'clock' } }),
    ]);
  });

  it('back to 100 on 1 February, with February invoiced', async () => {
    await moveClock(ledger, '2026-02-01T00:00:00Z');
    const api = (await balances(ledger, 'acct_pro')).wallets.api;
    expect(api.available).toBe('100');
    expect(api.lots.map((l) => [l.granted, l.issuedAt, l.expiresAt])).toEqual([
      ['100', '2026-02-01T00:00:00.000Z', '2026-03-03T00:00:00.000Z'],
    ]);
    // and the 31 January gap is still there in history
    expect(await available(ledger, 'acct_pro', 'api', '2026-01-31T23:59:59.999Z')).toBe('0');
  });

  it('the clock cannot move backwards: 409, and it stays where it was', async () => {
    const res = await setClock(ledger, '2026-01-15T00:00:00Z');
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('clock_backwards');
    expect((await ledger.http.get('/v1/simulation/clock')).body.now).toBe('2026-02-01T00:00:00.000Z');
  });
});

describe('entries', () => {
  it('list grant, forfeit, charge and expiry oldest first, each with its cause and provenance', async () => {
    const list = await entries(ledger, 'acct_pro');
    expect(list.map((e) => [e.kind, e.credits, e.at])).toEqual([
      ['grant', '10', '2026-01-01T00:00:00.000Z'],
      ['forfeit', '-10', '2026-01-01T00:00:00.000Z'],
      ['grant', '100', '2026-01-01T00:00:00.000Z'],
      ['charge', '-2', '2026-01-05T10:00:00.000Z'],
      ['expiry', '-98', '2026-01-31T00:00:00.000Z'],
      ['grant', '100', '2026-02-01T00:00:00.000Z'],
    ]);
    const [, forfeit, , charge] = list;
    expect(forfeit).toMatchObject({ reason: 'replaced_free', provenance: { via: 'http', command: 'StartPlan' } });
    expect(charge).toMatchObject({
      usage: { source: 'renderer/eu-west-1', id: 'video-103s', kind: 'avatar_video.unlimited', durationMs: 103_000 },
      provenance: { via: 'http', event: { source: 'renderer/eu-west-1', id: 'video-103s' } },
    });
    expect(typeof charge.provenance.requestId).toBe('string');
    expect(list[5].provenance).toEqual({ via: 'clock' });
  });

  it('answer 404 for an unknown account', async () => {
    expect((await ledger.http.get('/v1/accounts/acct_nobody/entries')).status).toBe(404);
  });
});

describe('invoices', () => {
  it("lists an account's invoices: Pro for January and February, $99 each", async () => {
    const res = await ledger.http.get('/v1/invoices').query({ accountId: 'acct_pro' });
    expect(res.status).toBe(200);
    expect(res.body.invoices.map((i: any) => [i.kind, i.plan, i.period.startsAt, i.period.endsAt, i.totalCents])).toEqual([
      ['plan', 'api_pro', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', 9900],
      ['plan', 'api_pro', '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z', 9900],
    ]);
    const numbers = res.body.invoices.map((i: any) => i.number);
    expect(new Set(numbers).size).toBe(2);
    for (const i of res.body.invoices) {
      expect(i).toMatchObject({ accountId: 'acct_pro', catalogVersion: expect.any(String) });
      expect(i.lines).toEqual([expect.objectContaining({ quantity: '100', unitPriceCents: 9900, amountCents: 9900 })]);
    }
  });

  it('invoices LiveAvatar overage after the period, one line per usage kind at $0.10 a credit', async () => {
    const res = await ledger.http.get('/v1/invoices').query({ accountId: 'acct_live' });
    const overage = res.body.invoices.filter((i: any) => i.kind === 'overage');
    expect(overage).toHaveLength(1);
    const [inv] = overage;
    expect(inv.issuedAt).toBe('2026-02-01T00:00:00.000Z');
    expect(inv.period).toMatchObject({ startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-02-01T00:00:00.000Z' });
    expect(inv.lines.map((l: any) => [l.quantity, l.unitPriceCents, l.amountCents])).toEqual([
      ['10.5', 10, 105], // Custom SDK
      ['40', 10, 400], // Full SDK
    ]);
    expect(inv.totalCents).toBe(505);
    // the plan invoices: January and February, $100 each
    expect(res.body.invoices.filter((i: any) => i.kind === 'plan').map((i: any) => i.totalCents)).toEqual([10000, 10000]);
    // and the new period starts with no overage
    expect((await balances(ledger, 'acct_live')).wallets.live_avatar).toMatchObject({ available: '1000', overage: '0' });
  });

  it('finds one invoice by number', async () => {
    const list = await ledger.http.get('/v1/invoices').query({ accountId: 'acct_live' });
    const wanted = list.body.invoices.find((i: any) => i.kind === 'overage');
    const res = await ledger.http.get(`/v1/invoices/${wanted.number}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(wanted);
  });

  it('answers 404 for an unknown number', async () => {
    for (const number of ['INV-acct_pro-9999', 'INV-acct_nobody-0001', 'nonsense']) {
      const res = await ledger.http.get(`/v1/invoices/${number}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe('invoice_not_found');
    }
  });

  it("filters all accounts' invoices by issue time", async () => {
    const res = await ledger.http.get('/v1/invoices').query({ from: '2026-02-01T00:00:00.000Z' });
    expect(res.status).toBe(200);
    const rows = res.body.invoices.map((i: any) => [i.accountId, i.kind]).sort();
    expect(rows).toEqual([
      ['acct_live', 'overage'],
      ['acct_live', 'plan'],
      ['acct_pro', 'plan'],
      ['acct_stream', 'plan'],
    ]);
  });
});
