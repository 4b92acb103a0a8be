// The account directory (api.md "Accounts and reports"): GET /v1/accounts and GET /v1/accounts/{id}
// from the read models. Their wallet figures are what the balances route answers from history
// for the same accounts, through usage, holds (open, captured, released, expired), overage,
// uncovered usage, expiries and a simulated month; search, cursor pages stable under writes,
// and the bounds of the parameters. The tests share one timeline (the clock only moves forward).
import { DirectoryReadModel } from '@ledger/service/directory/directory-read-model';
import { balances, Ledger, moveClock, openAccount, postEvents, renderCompleted, startLedger, startPlan, streamingEnded } from './support';

let ledger: Ledger;
const MIN = 60_000;
const WALLETS = ['api', 'live_avatar'] as const;

const ACCOUNTS = [
  { accountId: 'acct_pro', name: 'Northwind Traders', plan: { plan: 'api_pro' } },
  { accountId: 'acct_scale', name: 'Scale Co (auto-renew)', plan: { plan: 'api_scale', autoRenew: true, allowOverage: true } },
  { accountId: 'acct_live', name: 'Live Streams Ltd', plan: { plan: 'live_avatar', allowOverage: true } },
  { accountId: 'acct_free', name: 'Free Tier 100%', plan: undefined },
  { accountId: 'ACCT_both', name: 'Both Wallets GmbH', plan: { plan: 'api_pro' } },
];

beforeAll(async () => {
  ledger = await startLedger(); // the clock at 2026-01-01T00:00:00Z
  for (const a of ACCOUNTS) {
    await openAccount(ledger, a.accountId, a.name);
    if (a.plan) await startPlan(ledger, a.accountId, a.plan);
  }
  await startPlan(ledger, 'ACCT_both', { plan: 'live_avatar' });
});
afterAll(() => ledger?.close());

/** Every page of the directory with these parameters, walked with `limit`. */
async function walk(query: Record<string, string | number> = {}, limit = 2): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const res = await ledger.http.get('/v1/accounts').query({ ...query, limit, ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...res.body.items);
    if (res.body.nextCursor === null) return items;
    cursor = res.body.nextCursor;
  }
  throw new Error('the directory never ended');
}

const figures = (w: any) => ({ available: w.available, held: w.held, overage: w.overage, uncovered: w.uncovered, exhausted: w.exhausted });

/** The directory (list and one account) and the balances route agree on every account, wallet by wallet. */
async function expectDirectoryAgreesWithBalances(): Promise<void> {
  const listed = await walk();
  expect(listed.map((a) => a.accountId).sort()).toEqual(ACCOUNTS.map((a) => a.accountId).sort());
  for (const item of listed) {
    const b = await balances(ledger, item.accountId);
    const one = (await ledger.http.get(`/v1/accounts/${item.accountId}`).expect(200)).body;
    for (const w of WALLETS) {
      expect({ account: item.accountId, wallet: w, ...item.wallets[w] }).toEqual({
        account: item.accountId,
        wallet: w,
        ...figures(b.wallets[w]),
      });
      expect(one.wallets[w]).toEqual(item.wallets[w]);
      expect(item.plans[w]).toBe(b.wallets[w].plan);
      expect(one.plans[w]?.plan ?? null).toBe(b.wallets[w].plan);
    }
  }
}

const hold = (accountId: string, holdKey: string, estimatedDurationMs: number, ttlMs?: number) =>
  ledger.http
    .post('/v1/holds')
    .send({ accountId, holdKey, product: 'avatar_video', engine: 'unlimited', estimatedDurationMs, ...(ttlMs ? { ttlMs } : {}) });

describe('the wallet figures are those of GET /v1/accounts/{id}/balances', () => {
  it('on the first day: every account, both wallets', async () => {
    await expectDirectoryAgreesWithBalances();
    const pro = (await ledger.http.get('/v1/accounts').query({ accountId: 'acct_pro' }).expect(200)).body.items[0];
    expect(pro).toEqual({
      accountId: 'acct_pro',
      name: 'Northwind Traders',
      openedAt: '2026-01-01T00:00:00.000Z',
      plans: { api: 'api_pro', live_avatar: null },
      wallets: {
        api: { available: '100', held: '0', overage: '0', uncovered: '0', exhausted: false },
        live_avatar: { available: '0', held: '0', overage: '0', uncovered: '0', exhausted: false },
      },
    });
  });

  it('after usage, overage, uncovered usage and holds (open, captured, released, soon expiring)', async () => {
    await moveClock(ledger, '2026-01-05T12:00:00Z');
    const t = '2026-01-05T11:00:00.000Z';
    const res = await postEvents(ledger, [
      renderCompleted({ subject: 'acct_pro', time: t, durationMs: 103_000 }), // 2
      renderCompleted({ subject: 'acct_free', time: t, durationMs: 12 * MIN }), // 12.5 of 10: 2.5 uncovered
      streamingEnded({ subject: 'acct_live', integration: 'live_avatar_full', time: t, durationMs: 510 * MIN }), // 1020: 20 overage
      streamingEnded({ subject: 'ACCT_both', integration: 'live_avatar_custom', time: t, durationMs: 90_000 }), // 1.5
      renderCompleted({ subject: 'acct_scale', time: t, durationMs: 30 * MIN, engine: 'avatar_iv' }), // 183
    ]);
    expect(res.body.results.map((r: any) => r.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted']);
    // holds on acct_pro: one stays open, one is captured, one released; acct_scale's expires in 30 minutes
    expect((await hold('acct_pro', 'job_open', 239_000)).status).toBe(201); // 4
    expect((await hold('acct_pro', 'job_captured', 119_000)).status).toBe(201); // 2
    const released = await hold('acct_pro', 'job_released', 59_000); // 1
    expect(released.status).toBe(201);
    expect((await hold('acct_scale', 'job_expiring', 599_000, 30 * MIN)).status).toBe(201); // 10
    await postEvents(ledger, [
      renderCompleted({ subject: 'acct_pro', time: '2026-01-05T12:00:00.000Z', durationMs: 95_000, jobId: 'job_captured' }),
    ]);
    await ledger.http.post(`/v1/holds/${released.body.holdId}/release`).expect(200);

    await expectDirectoryAgreesWithBalances();
    const [pro, free, live, scale] = await Promise.all(
      ['acct_pro', 'acct_free', 'acct_live', 'acct_scale'].map(async (id) => (await ledger.http.get(`/v1/accounts/${id}`)).body),
    );
    expect(pro.wallets.api).toEqual({ available: '92', held: '4', overage: '0', uncovered: '0', exhausted: false }); // 100 - 2 - 2 - 4
    expect(free.wallets.api).toMatchObject({ available: '0', uncovered: '2.5', exhausted: true });
    expect(live.wallets.live_avatar).toMatchObject({ available: '0', overage: '20', exhausted: false });
    expect(scale.wallets.api).toMatchObject({ held: '10', available: '467' }); // 660 - 183 - 10
  });

  it('as of later instants, before the clock records anything: a hold and the lots expire by time, the period ends by time', async () => {
    // What the read model says as of an instant after every recorded event is what history says then.
    const directory = ledger.app.get(DirectoryReadModel);
    expect(await directory.caughtUp()).toBeUndefined();
    for (const asOf of [
      '2026-01-05T12:29:59.999Z',
      '2026-01-05T12:30:00.000Z', // acct_scale's hold expires
      '2026-01-30T23:59:59.999Z',
      '2026-01-31T00:00:00.000Z', // the January lots expire
      '2026-02-01T00:00:00.000Z', // the January periods end: no plan until the clock starts the next
    ]) {
      for (const { accountId } of ACCOUNTS) {
        const b = await balances(ledger, accountId, asOf);
        const d = (await directory.account(accountId, asOf))!;
        for (const w of WALLETS) {
          expect({ asOf, accountId, w, ...d.wallets[w], plan: d.plans[w]?.plan ?? null }).toEqual({
            asOf,
            accountId,
            w,
            ...figures(b.wallets[w]),
            plan: b.wallets[w].plan,
          });
        }
      }
    }
    expect((await directory.account('acct_scale', '2026-01-05T12:30:00.000Z'))!.wallets.api.held).toBe('0');
    expect((await directory.account('acct_pro', '2026-01-31T00:00:00.000Z'))!.wallets.api.available).toBe('0');
    expect((await directory.account('acct_pro', '2026-02-01T00:00:00.000Z'))!.plans.api).toBeNull();
  });

  it('once the short hold expired', async () => {
    await moveClock(ledger, '2026-01-05T12:45:00Z');
    await expectDirectoryAgreesWithBalances();
    expect((await ledger.http.get('/v1/accounts/acct_scale')).body.wallets.api).toMatchObject({ held: '0', available: '477' });
  });

  it('through the month: the 30-day expiry gap, the new period, the uncovered account refilled', async () => {
    for (const now of [
      '2026-01-20T00:00:00Z',
      '2026-01-31T12:00:00Z',
      '2026-02-01T00:00:00Z',
      '2026-02-01T00:00:00.001Z',
      '2026-02-10T00:00:00Z',
    ]) {
      await moveClock(ledger, now);
      await expectDirectoryAgreesWithBalances();
    }
    const pro = (await ledger.http.get('/v1/accounts/acct_pro')).body;
    expect(pro.wallets.api).toEqual({ available: '100', held: '0', overage: '0', uncovered: '0', exhausted: false });
    const free = (await ledger.http.get('/v1/accounts/acct_free')).body;
    expect(free.wallets.api).toMatchObject({ available: '10', uncovered: '2.5', exhausted: false });
  });
});

describe('GET /v1/accounts/{id}', () => {
  it('gives each wallet its plan with autoRenew, allowOverage and the current period', async () => {
    await ledger.http.patch('/v1/accounts/acct_live/plans/live_avatar').send({ autoRenew: true }).expect(200);
    const res = await ledger.http.get('/v1/accounts/acct_live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accountId: 'acct_live',
      name: 'Live Streams Ltd',
      openedAt: '2026-01-01T00:00:00.000Z',
      asOf: '2026-02-10T00:00:00.000Z',
      plans: {
        api: {
          plan: 'api_free',
          autoRenew: false,
          allowOverage: false,
          catalogVersion: expect.any(String),
          monthlyCredits: '10',
          period: { id: expect.any(String), startsAt: '2026-02-01T00:00:00.000Z', endsAt: '2026-03-01T00:00:00.000Z' },
        },
        live_avatar: {
          plan: 'live_avatar',
          autoRenew: true,
          allowOverage: true,
          catalogVersion: expect.any(String),
          monthlyCredits: '1000',
          period: { id: expect.any(String), startsAt: '2026-02-01T00:00:00.000Z', endsAt: '2026-03-01T00:00:00.000Z' },
        },
      },
      wallets: {
        api: expect.objectContaining({ available: '10' }),
        live_avatar: expect.objectContaining({ available: '1000', overage: '0' }),
      },
    });
  });

  it('after a cancellation the wallet has no plan (live_avatar) or is back on api_free (api)', async () => {
    await ledger.http.post('/v1/accounts/ACCT_both/plans/live_avatar/cancel').expect(200);
    await ledger.http.post('/v1/accounts/ACCT_both/plans/api/cancel').expect(200);
    const res = (await ledger.http.get('/v1/accounts/ACCT_both')).body;
    expect(res.plans.live_avatar).toBeNull();
    expect(res.plans.api).toMatchObject({ plan: 'api_free', period: { startsAt: '2026-02-10T00:00:00.000Z' } });
    await expectDirectoryAgreesWithBalances();
  });

  it('404 for an unknown account, 400 for what is no account id', async () => {
    const unknown = await ledger.http.get('/v1/accounts/acct_nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('account_not_found');
    const bad = await ledger.http.get('/v1/accounts/acct%20x');
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: any) => d.field)).toEqual(['id']);
  });
});

describe('GET /v1/accounts: search, pages, bounds', () => {
  it('lists in account id order, byte by byte (upper case first), one page of at most `limit`', async () => {
    const all = await walk({}, 500);
    expect(all.map((a) => a.accountId)).toEqual(['ACCT_both', 'acct_free', 'acct_live', 'acct_pro', 'acct_scale']);
    const first = await ledger.http.get('/v1/accounts').expect(200);
    expect(first.body.items).toHaveLength(5); // the default limit (50) holds them all
    expect(first.body.nextCursor).toBeNull();
    expect(first.body.asOf).toBe('2026-02-10T00:00:00.000Z');
  });

  it('q: a substring of the id or the name, in any case; % and _ are plain characters; empty is everything', async () => {
    const ids = async (q: string) => (await walk({ q })).map((a) => a.accountId);
    expect(await ids('acct_')).toEqual(['ACCT_both', 'acct_free', 'acct_live', 'acct_pro', 'acct_scale']);
    expect(await ids('CCT_P')).toEqual(['acct_pro']); // part of the id
    expect(await ids('northwind')).toEqual(['acct_pro']); // part of the name
    expect(await ids('TRADERS')).toEqual(['acct_pro']);
    expect(await ids('l')).toEqual(['acct_live', 'acct_scale', 'ACCT_both'].sort()); // "Wallets", "Live", "Scale"
    expect(await ids('100%')).toEqual(['acct_free']);
    expect(await ids('%')).toEqual(['acct_free']);
    expect(await ids('t_b')).toEqual(['ACCT_both']);
    expect(await ids('zzz')).toEqual([]);
    expect(await ids('')).toHaveLength(5);
  });

  it('accountId restricts the list to that account (none for an unknown one)', async () => {
    expect((await walk({ accountId: 'acct_live' })).map((a) => a.accountId)).toEqual(['acct_live']);
    expect((await walk({ accountId: 'acct_live', q: 'pro' })).map((a) => a.accountId)).toEqual([]);
    expect(await walk({ accountId: 'acct_nobody' })).toEqual([]);
  });

  it('pages are stable under writes: an account opened mid-walk shows once if it sorts after the cursor, never twice', async () => {
    const page1 = (await ledger.http.get('/v1/accounts').query({ limit: 2 }).expect(200)).body;
    expect(page1.items.map((a: any) => a.accountId)).toEqual(['ACCT_both', 'acct_free']);
    await openAccount(ledger, 'acct_aaa', 'Before the cursor'); // sorts before acct_free
    await openAccount(ledger, 'acct_zzz', 'After the cursor');
    const rest: string[] = [];
    let cursor = page1.nextCursor;
    while (cursor) {
      const res = (await ledger.http.get('/v1/accounts').query({ limit: 2, cursor }).expect(200)).body;
      rest.push(...res.items.map((a: any) => a.accountId));
      cursor = res.nextCursor;
    }
    expect(rest).toEqual(['acct_live', 'acct_pro', 'acct_scale', 'acct_zzz']);
    ACCOUNTS.push({ accountId: 'acct_aaa', name: 'Before the cursor', plan: undefined });
    ACCOUNTS.push({ accountId: 'acct_zzz', name: 'After the cursor', plan: undefined });
    await expectDirectoryAgreesWithBalances();
  });

  it.each([
    ['limit 0', { limit: 0 }, 'limit'],
    ['limit 501', { limit: 501 }, 'limit'],
    ['limit not a number', { limit: 'ten' }, 'limit'],
    ['limit not whole', { limit: 2.5 }, 'limit'],
    ['a cursor not of ours', { cursor: 'not-a-cursor!' }, 'cursor'],
    ['a cursor of the entries', { cursor: Buffer.from('e1.5.0').toString('base64url') }, 'cursor'],
    ['q of 201 characters', { q: 'x'.repeat(201) }, 'q'],
    ['q with a control character', { q: 'tab\there' }, 'q'],
    ['no account id', { accountId: 'no spaces' }, 'accountId'],
    ['an unknown parameter', { sort: 'name' }, 'sort'],
  ])('%s is refused: 400 naming the field', async (_, query, field) => {
    const res = await ledger.http.get('/v1/accounts').query(query);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid');
    expect(res.body.details.map((d: any) => d.field)).toEqual([field]);
  });

  it('limit 500 is allowed', async () => {
    expect((await ledger.http.get('/v1/accounts').query({ limit: 500 })).status).toBe(200);
  });
});

describe('GET /docs/json', () => {
  it('documents the directory with its answers', async () => {
    const doc = (await ledger.http.get('/docs/json').expect(200)).body;
    expect(doc.paths['/v1/accounts'].get).toBeDefined();
    expect(doc.paths['/v1/accounts'].get.parameters.map((p: any) => p.name).sort()).toEqual(['accountId', 'cursor', 'limit', 'q']);
    expect(doc.paths['/v1/accounts/{id}'].get.responses['200'].content['application/json'].schema.$ref).toMatch(/AccountDto$/);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['AccountsPageDto', 'DirectoryAccountDto', 'WalletFiguresDto', 'AccountDto', 'WalletPlanDto']),
    );
  });
});
