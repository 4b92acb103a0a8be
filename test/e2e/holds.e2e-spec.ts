// Holds over HTTP (api.md "Holds"): reserve before the work runs; usage captures, render.failed
// and the release route release, the clock expires; held credits are not available.
import { AccountLedger } from '@ledger/service/accounts/account-ledger';
import {
  balances,
  Ledger,
  moveClock,
  openAccount,
  postEvents,
  proAccount,
  renderCompleted,
  SIMULATION_START,
  startLedger,
  streamingEnded,
} from './support';

let ledger: Ledger;
beforeAll(async () => {
  ledger = await startLedger({ LEDGER_PROCESS: 'false' });
});
afterAll(() => ledger?.close());

const T0 = new Date(SIMULATION_START).toISOString();
/** An unlimited video estimated at n credits (2n started 30 s blocks at 0.5). */
const cr = (n: number) => (60 * n - 1) * 1000;
const hold = (body: Record<string, unknown>) =>
  ledger.http.post('/v1/holds').send({ product: 'avatar_video', engine: 'unlimited', ...body });
const holdsOf = async (accountId: string, status?: string) => {
  const res = await ledger.http.get(`/v1/accounts/${accountId}/holds`).query(status ? { status } : {});
  expect(res.status).toBe(200);
  return res.body.items as { holdId: string; holdKey: string; status: string; credits: string }[];
};

describe('POST /v1/holds', () => {
  it('holds the estimate (201); the same request again is the same hold (200); another body is a conflict (409)', async () => {
    // given
    await proAccount(ledger, 'acct_hold');
    // when
    const first = await hold({ accountId: 'acct_hold', holdKey: 'job_1', estimatedDurationMs: cr(4) });
    // then
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      holdId: expect.any(String),
      accountId: 'acct_hold',
      wallet: 'api',
      holdKey: 'job_1',
      credits: '4',
      status: 'held',
      placedAt: T0,
      expiresAt: new Date(Date.parse(T0) + 3_600_000).toISOString(),
    });
    const b = await balances(ledger, 'acct_hold');
    expect(b.wallets.api).toMatchObject({ available: '96', held: '4' });
    expect(b.wallets.live_avatar).toMatchObject({ held: '0' });

    const again = await hold({ accountId: 'acct_hold', holdKey: 'job_1', estimatedDurationMs: cr(4) });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await balances(ledger, 'acct_hold')).wallets.api.held).toBe('4');

    const other = await hold({ accountId: 'acct_hold', holdKey: 'job_1', estimatedDurationMs: cr(5) });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ error: 'conflict' });
  });

  it('refuses with the reasons of an authorization (422 hold_refused)', async () => {
    await openAccount(ledger, 'acct_hold_free');
    const res = await hold({ accountId: 'acct_hold_free', holdKey: 'job_long', estimatedDurationMs: 200_000, resolution: '4k' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ error: 'hold_refused', reasons: ['video_too_long', 'resolution_above_plan'] });
    const none = await hold({ accountId: 'acct_nobody', holdKey: 'job_x', estimatedDurationMs: cr(1) });
    expect(none.status).toBe(404);
    const bad = await hold({ accountId: 'acct_hold_free', holdKey: 'job_x', estimatedDurationMs: 0 });
    expect(bad.status).toBe(400);
  });

  it('200 requests at once for credits that cover 10 of them: exactly 10 held', async () => {
    // given 10 free credits
    await openAccount(ledger, 'acct_hold_race');
    // when 200 one-credit holds arrive at once
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => hold({ accountId: 'acct_hold_race', holdKey: `job_${i}`, estimatedDurationMs: cr(1) })),
    );
    // then
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 422)).toHaveLength(190);
    expect(answers.find((a) => a.status === 422)!.body.reasons).toEqual(['insufficient_credits']);
    expect((await balances(ledger, 'acct_hold_race')).wallets.api).toMatchObject({ available: '0', held: '10' });
    expect(await holdsOf('acct_hold_race', 'held')).toHaveLength(10);
  });
});

describe('a hold ends once', () => {
  it('render.completed of its jobId captures it, charged at the real price', async () => {
    await proAccount(ledger, 'acct_cap');
    const placed = await hold({ accountId: 'acct_cap', holdKey: 'job_cap', estimatedDurationMs: cr(4) });
    expect(placed.status).toBe(201);
    const res = await postEvents(ledger, [renderCompleted({ subject: 'acct_cap', time: T0, durationMs: cr(6), jobId: 'job_cap' })]);
    expect(res.status).toBeLessThan(300);
    expect(await holdsOf('acct_cap')).toEqual([expect.objectContaining({ holdKey: 'job_cap', status: 'captured' })]);
    expect((await balances(ledger, 'acct_cap')).wallets.api).toMatchObject({ available: '94', held: '0' });
    // The release route after capture: a conflict.
    const release = await ledger.http.post(`/v1/holds/${placed.body.holdId}/release`);
    expect(release.status).toBe(409);
  });

  it('streaming.session.ended of its sessionId captures it', async () => {
    await proAccount(ledger, 'acct_cap_s');
    const placed = await ledger.http
      .post('/v1/holds')
      .send({ accountId: 'acct_cap_s', holdKey: 'sess_1', integration: 'api', estimatedDurationMs: 600_000 });
    expect(placed.status).toBe(201);
    expect((await balances(ledger, 'acct_cap_s')).wallets.api.held).toBe(placed.body.credits);
    await postEvents(ledger, [streamingEnded({ subject: 'acct_cap_s', time: T0, durationMs: 300_000, sessionId: 'sess_1' })]);
    expect(await holdsOf('acct_cap_s', 'captured')).toHaveLength(1);
    expect((await balances(ledger, 'acct_cap_s')).wallets.api.held).toBe('0');
  });

  it('render.failed of its jobId releases it; the release route releases once', async () => {
    await proAccount(ledger, 'acct_rel');
    await hold({ accountId: 'acct_rel', holdKey: 'job_fail', estimatedDurationMs: cr(3) });
    const fail = await postEvents(ledger, [
      {
        specversion: '1.0',
        id: 'fail-1',
        source: 'renderer/eu-west-1',
        type: 'render.failed',
        time: T0,
        subject: 'acct_rel',
        datacontenttype: 'application/json',
        data: { jobId: 'job_fail', product: 'avatar_video', reason: 'timeout' },
      },
    ]);
    expect(fail.status).toBeLessThan(300);
    expect(await holdsOf('acct_rel', 'released')).toEqual([expect.objectContaining({ holdKey: 'job_fail' })]);

    const second = await hold({ accountId: 'acct_rel', holdKey: 'job_2', estimatedDurationMs: cr(3) });
    const released = await ledger.http.post(`/v1/holds/${second.body.holdId}/release`);
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ holdId: second.body.holdId, status: 'released' });
    const again = await ledger.http.post(`/v1/holds/${second.body.holdId}/release`);
    expect(again.status).toBe(200);
    expect((await balances(ledger, 'acct_rel')).wallets.api).toMatchObject({ available: '100', held: '0' });
    expect((await ledger.http.post('/v1/holds/h9.acct_rel/release')).status).toBe(404);
    expect((await ledger.http.post('/v1/holds/nonsense/release')).status).toBe(404);
  });

  it('expires at expiresAt: moving the clock past it records the expiry before the clock answers; asOf shows what was held', async () => {
    await proAccount(ledger, 'acct_exp');
    const placed = await hold({ accountId: 'acct_exp', holdKey: 'job_exp', estimatedDurationMs: cr(2), ttlMs: 600_000 });
    expect(placed.status).toBe(201);
    await moveClock(ledger, new Date(Date.parse(T0) + 601_000).toISOString());
    const history = await ledger.app.get(AccountLedger).history('acct_exp');
    expect(history.map((h) => h.event).filter((e) => e.type === 'HoldExpired')).toEqual([
      { type: 'HoldExpired', data: expect.objectContaining({ holdId: placed.body.holdId, at: placed.body.expiresAt }) },
    ]);
    expect(await holdsOf('acct_exp', 'expired')).toHaveLength(1);
    expect((await balances(ledger, 'acct_exp')).wallets.api.held).toBe('0');
    expect((await balances(ledger, 'acct_exp', new Date(Date.parse(T0) + 300_000).toISOString())).wallets.api.held).toBe('2');
    // Its usage after expiry is still charged.
    await postEvents(ledger, [
      renderCompleted({ subject: 'acct_exp', time: new Date(Date.parse(T0) + 601_000).toISOString(), durationMs: cr(2), jobId: 'job_exp' }),
    ]);
    expect((await balances(ledger, 'acct_exp')).wallets.api.available).toBe('98');
  });
});
