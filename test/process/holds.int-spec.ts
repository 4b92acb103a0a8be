// Holds under concurrency, on each backend: 200 hold requests at once for an account whose
// credits cover 10 of them hold exactly 10, on one service and (PostgreSQL) on two service
// instances on one database; and the deadline runners expire an open hold exactly once.
import { accountEvents, checkExactlyOnce, describeEachBackend, Ledger, moveClock, openAccount, START, useLedgers } from './support';

const FAST = { LEDGER_PROCESS_POLL_MS: '15', LEDGER_PROJECTION_POLL_MS: '10', LEDGER_PROCESS_LEASE_MS: '400' };
/** An unlimited video estimated at one credit. */
const ONE_CREDIT_MS = 59_000;
const hold = (l: Ledger, accountId: string, holdKey: string, ttlMs?: number) =>
  l.http.post('/v1/holds').send({
    accountId,
    holdKey,
    product: 'avatar_video',
    engine: 'unlimited',
    estimatedDurationMs: ONE_CREDIT_MS,
    ...(ttlMs ? { ttlMs } : {}),
  });

describeEachBackend('holds at once', (backend) => {
  const { start, newPlace } = useLedgers(backend);

  const expectTenHeld = async (l: Ledger, accountId: string, statuses: number[]) => {
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 422)).toHaveLength(190);
    const b = await l.http.get(`/v1/accounts/${accountId}/balances`);
    expect(b.body.wallets.api).toMatchObject({ available: '0', held: '10' });
    const events = await accountEvents(l.store, accountId);
    expect(events.filter((e) => e.type === 'HoldPlaced')).toHaveLength(10);
    checkExactlyOnce(events);
  };

  it('one service: 200 requests at once for credits that cover 10: exactly 10 held', async () => {
    const l = await start(newPlace(), { LEDGER_PROCESS: 'false' });
    await openAccount(l, 'acct_race'); // api_free: 10 credits
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => hold(l, 'acct_race', `job_${i}`)));
    await expectTenHeld(
      l,
      'acct_race',
      answers.map((a) => a.status),
    );
    // GET /metrics, once the deadline projection caught up (the clock answers after it did).
    await moveClock(l, START);
    const metrics = (await l.http.get('/metrics')).text;
    expect(metrics).toContain('ledger_holds_open{wallet="api"} 10\n');
    expect(metrics).toContain('ledger_holds_held_microcredits{wallet="api"} 10000000\n');
    expect(metrics).toContain('ledger_holds_open{wallet="live_avatar"} 0\n');
  });

  (backend.name === 'postgres' ? it : it.skip)(
    backend.name === 'postgres'
      ? 'two service instances on one database: 200 requests at once, 100 to each, exactly 10 held'
      : 'two service instances: skipped, PGlite is one process',
    async () => {
      const place = newPlace();
      const a = await start(place, { LEDGER_PROCESS: 'false', LEDGER_INSTANCE_ID: 'instance-a' });
      const b = await start(place, { LEDGER_PROCESS: 'false', LEDGER_INSTANCE_ID: 'instance-b' });
      await openAccount(a, 'acct_race2');
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => hold(i % 2 ? b : a, 'acct_race2', `job_${i}`)));
      await expectTenHeld(
        a,
        'acct_race2',
        answers.map((x) => x.status),
      );
      // The same request again, on either instance: the same hold, nothing held twice.
      const first = answers.find((x) => x.status === 201)!;
      const again = await hold(b, 'acct_race2', first.body.holdKey);
      expect(again.status).toBe(200);
      expect(again.body.holdId).toBe(first.body.holdId);
      expect((await a.http.get('/v1/accounts/acct_race2/balances')).body.wallets.api.held).toBe('10');
    },
  );

  it('the deadline runners expire an open hold once, before the clock answers', async () => {
    const place = newPlace();
    const a = await start(place, { ...FAST, LEDGER_INSTANCE_ID: 'instance-a' });
    const others = backend.name === 'postgres' ? [await start(place, { ...FAST, LEDGER_INSTANCE_ID: 'instance-b' })] : [];
    await openAccount(a, 'acct_hexp');
    const placed = await hold(a, 'acct_hexp', 'job_exp', 600_000);
    expect(placed.status).toBe(201);
    const after = new Date(Date.parse(START) + 601_000).toISOString();
    await Promise.all([a, ...others].map((l) => moveClock(l, after)));
    const events = await accountEvents(a.store, 'acct_hexp');
    expect(events.filter((e) => e.type === 'HoldExpired')).toEqual([
      { type: 'HoldExpired', data: expect.objectContaining({ holdId: placed.body.holdId, at: placed.body.expiresAt }) },
    ]);
    checkExactlyOnce(events);
    const list = await a.http.get('/v1/accounts/acct_hexp/holds').query({ status: 'expired' });
    expect(list.body.items).toHaveLength(1);
  });
});
