// The producer client (libs/producer-client) against the service in-process, over a socket with a
// producer's key: batching, a retry after a lost answer that becomes a duplicate, a hold and its
// release, a refused hold as an answer, a 429 waited out, and no retry of a refused event.
import { AddressInfo } from 'net';
import {
  LedgerClient,
  LedgerClientOptions,
  renderCompleted,
  renderFailed,
  streamingSessionEnded,
  uuidV5,
} from '@usage-ledger/producer-client';
import { balances, charges, Ledger, MINUTE, proAccountAnHourOld, startLedger } from './support';

const SOURCE = 'renderer/eu-west-1';

/** A listening ledger, a producer key and clients of it whose fetch calls are counted (and may be spoiled). */
async function listening(env: Record<string, string> = {}) {
  const ledger = await startLedger(env);
  await ledger.app.listen(0, '127.0.0.1');
  const { port } = ledger.app.getHttpServer().address() as AddressInfo;
  const apiKey = (await ledger.http.post('/v1/api-keys').send({ role: 'producer', name: 'renderer' }).expect(201)).body.key as string;
  const calls: { path: string; status: number | 'network error' }[] = [];
  const client = (options: Partial<LedgerClientOptions> = {}, spoil?: (call: number) => boolean) => {
    const fetchCounted: typeof fetch = async (url, init) => {
      const path = new URL(String(url)).pathname;
      const res = await fetch(url, init);
      const lost = spoil?.(calls.length) ?? false;
      calls.push({ path, status: lost ? 'network error' : res.status });
      // the ledger answered, the answer never arrives: what a producer sees as a dropped connection
      if (lost) throw new TypeError('fetch failed: socket hang up');
      return res;
    };
    return new LedgerClient({
      baseUrl: `http://127.0.0.1:${port}`,
      apiKey,
      fetch: fetchCounted,
      retry: { initialDelayMs: 10 },
      ...options,
    });
  };
  return { ledger, calls, client };
}

describe('the producer client', () => {
  let s: Awaited<ReturnType<typeof listening>>;
  beforeAll(async () => {
    s = await listening();
  });
  afterAll(() => s?.ledger.close());
  beforeEach(() => s.calls.splice(0));

  const wallet = async (l: Ledger, accountId: string) => (await balances(l, accountId)).wallets.api;

  it('gives each event an id of its type and job or session: the same event built again is the same event', () => {
    const e = {
      source: SOURCE,
      accountId: 'acct_1',
      jobId: 'job_42',
      product: 'avatar_video',
      engine: 'unlimited',
      durationMs: 1000,
    } as const;
    const a = renderCompleted({ ...e, endedAt: '2026-01-01T10:00:00+01:00' });
    expect(renderCompleted({ ...e, endedAt: new Date('2026-01-01T09:00:00Z') })).toEqual(a);
    expect(a).toMatchObject({
      specversion: '1.0',
      subject: 'acct_1',
      time: '2026-01-01T09:00:00.000Z',
      datacontenttype: 'application/json',
    });
    expect(a.id).toBe(uuidV5('3d0f7a52-6c1e-4b8a-9f3e-2a5b7c9d1e40', 'render.completed/job_42'));
    expect(renderFailed({ source: SOURCE, accountId: 'acct_1', jobId: 'job_42', product: 'avatar_video', failedAt: a.time }).id).not.toBe(
      a.id,
    );
    // RFC 9562's example of a version 5 UUID
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('batches: seven events in three requests of at most three, each answered, exact balances', async () => {
    const accountId = 'acct_client_batch';
    const at = await proAccountAnHourOld(s.ledger, accountId);
    const client = s.client({ batch: { maxEvents: 3, maxDelayMs: 1000 } });
    const events = [
      ...[1, 2, 3, 4, 5].map((n) =>
        renderCompleted({
          source: SOURCE,
          accountId,
          jobId: `job_b${n}`,
          product: 'avatar_video',
          engine: 'unlimited',
          durationMs: 30_000,
          endedAt: at(n),
        }),
      ), // 1 each
      renderFailed({ source: SOURCE, accountId, jobId: 'job_b6', product: 'avatar_video', reason: 'timeout', failedAt: at(6) }), // 0
      streamingSessionEnded({ source: SOURCE, accountId, sessionId: 'sess_b7', integration: 'api', startedAt: at(0), endedAt: at(7.5) }), // 1.5
    ];
    const outcomes = await client.sendAll(events);
    expect(outcomes).toEqual(events.map((e) => ({ id: e.id, source: SOURCE, status: 'accepted' })));
    expect(s.calls).toEqual([
      { path: '/v1/events', status: 200 },
      { path: '/v1/events', status: 200 },
      { path: '/v1/events', status: 200 },
    ]);
    expect((await wallet(s.ledger, accountId)).available).toBe('93.5'); // 100 - 5 - 1.5
  });

  it('queues single sends into one request within maxDelayMs', async () => {
    const accountId = 'acct_client_queue';
    const at = await proAccountAnHourOld(s.ledger, accountId);
    const client = s.client({ batch: { maxDelayMs: 30 } });
    const sent = [1, 2, 3].map((n) =>
      client.send(
        renderCompleted({ source: SOURCE, accountId, jobId: `job_q${n}`, product: 'proofreading', durationMs: 60_000, endedAt: at(n) }),
      ),
    );
    expect((await Promise.all(sent)).map((o) => o.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(s.calls).toHaveLength(1);
    await client.close();
  });

  it('a retry after a lost answer becomes a duplicate: charged once', async () => {
    const accountId = 'acct_client_retry';
    const at = await proAccountAnHourOld(s.ledger, accountId);
    const client = s.client({}, (call) => call === 0);
    const e = renderCompleted({
      source: SOURCE,
      accountId,
      jobId: 'job_r1',
      product: 'avatar_video',
      engine: 'unlimited',
      durationMs: 103_000,
      endedAt: at(10),
    });
    expect(await client.send(e)).toEqual({ id: e.id, source: SOURCE, status: 'duplicate' });
    expect(s.calls).toEqual([
      { path: '/v1/events', status: 'network error' },
      { path: '/v1/events', status: 200 },
    ]);
    // the renderer restarts and reports the job again: built again, the same event
    const again = renderCompleted({
      source: SOURCE,
      accountId,
      jobId: 'job_r1',
      product: 'avatar_video',
      engine: 'unlimited',
      durationMs: 103_000,
      endedAt: at(10),
    });
    expect((await client.send(again)).status).toBe('duplicate');
    expect((await wallet(s.ledger, accountId)).available).toBe('98');
    expect((await charges(s.ledger, accountId)).map((c) => c.usage!.id)).toEqual([e.id]);
  });

  it('a rejected event is an answer with its errors, never retried; its neighbours are charged', async () => {
    const accountId = 'acct_client_rejected';
    const at = await proAccountAnHourOld(s.ledger, accountId);
    const client = s.client();
    const good = renderCompleted({
      source: SOURCE,
      accountId,
      jobId: 'job_g',
      product: 'avatar_video',
      engine: 'unlimited',
      durationMs: 1_000,
      endedAt: at(1),
    });
    const unknown = renderCompleted({
      source: SOURCE,
      accountId: 'acct_nobody',
      jobId: 'job_u',
      product: 'proofreading',
      durationMs: 1_000,
      endedAt: at(2),
    });
    const [a, b] = await client.sendAll([good, unknown]);
    expect(a.status).toBe('accepted');
    expect(b).toMatchObject({ id: unknown.id, status: 'rejected', errors: [expect.objectContaining({ field: 'subject' })] });
    expect(s.calls).toEqual([{ path: '/v1/events', status: 400 }]);
    expect((await wallet(s.ledger, accountId)).available).toBe('99.5');
  });

  it('a hold and its release; the same hold again; a refused hold is an answer with its reasons', async () => {
    const accountId = 'acct_client_hold';
    await proAccountAnHourOld(s.ledger, accountId);
    const client = s.client();
    const request = { accountId, holdKey: 'job_h1', product: 'avatar_video', engine: 'unlimited', estimatedDurationMs: 103_000 } as const;
    const held = await client.hold(request);
    expect(held).toMatchObject({ ok: true, created: true, hold: { accountId, holdKey: 'job_h1', credits: '2', status: 'held' } });
    if (!held.ok) throw new Error('not held');
    expect(await wallet(s.ledger, accountId)).toMatchObject({ available: '98', held: '2' });
    expect(await client.hold(request)).toMatchObject({ ok: true, created: false, hold: { holdId: held.hold.holdId } });

    const released = await client.release(held.hold.holdId);
    expect(released).toMatchObject({ ok: true, hold: { holdId: held.hold.holdId, status: 'released' } });
    expect(await wallet(s.ledger, accountId)).toMatchObject({ available: '100', held: '0' });
    expect(await client.release(held.hold.holdId)).toMatchObject({ ok: true, hold: { status: 'released' } });

    // 24 hours of avatar_iv cost far more than the 100 credits of Pro (no overage)
    const refused = await client.hold({
      accountId,
      holdKey: 'job_h2',
      product: 'avatar_video',
      engine: 'avatar_iv',
      estimatedDurationMs: 24 * 60 * MINUTE,
    });
    expect(refused).toMatchObject({ ok: false, status: 422, error: 'hold_refused' });
    if (refused.ok) throw new Error('not refused');
    expect(refused.reasons!.length).toBeGreaterThan(0);
    expect(await client.release('h99.acct_client_hold')).toMatchObject({ ok: false, status: 404 });
    expect(s.calls.every((c) => c.status !== 'network error' && c.status < 500)).toBe(true);
  });

  it('a ledger that cannot be reached is an answer after the attempts, not an exception', async () => {
    const client = new LedgerClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'k', retry: { attempts: 2, initialDelayMs: 1 } });
    const e = renderCompleted({ source: SOURCE, accountId: 'a', jobId: 'j', product: 'proofreading', durationMs: 1, endedAt: new Date() });
    expect(await client.send(e)).toMatchObject({
      status: 'not_sent',
      id: e.id,
      error: 'unreachable',
      message: expect.stringContaining('after 2 attempts'),
    });
    expect(await client.hold({ accountId: 'a', holdKey: 'j', product: 'proofreading', estimatedDurationMs: 1 })).toMatchObject({
      ok: false,
      status: 0,
      error: 'unreachable',
    });
  });
});

describe('the producer client under the rate limit', () => {
  it('waits out a 429 for its Retry-After, then every event is accepted', async () => {
    const s = await listening({ LEDGER_RATE_LIMIT: '1', LEDGER_RATE_WINDOW_MS: '1000' });
    try {
      const accountId = 'acct_client_429';
      const at = await proAccountAnHourOld(s.ledger, accountId);
      const client = s.client({ batch: { maxEvents: 1 } });
      const events = [1, 2].map((n) =>
        renderCompleted({
          source: SOURCE,
          accountId,
          jobId: `job_l${n}`,
          product: 'avatar_video',
          engine: 'unlimited',
          durationMs: 30_000,
          endedAt: at(n),
        }),
      );
      const started = Date.now();
      expect((await client.sendAll(events)).map((o) => o.status)).toEqual(['accepted', 'accepted']);
      expect(s.calls.map((c) => c.status)).toEqual([200, 429, 200]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900); // Retry-After: 1 (second)
      expect((await balances(s.ledger, accountId)).wallets.api.available).toBe('98');
    } finally {
      await s.ledger.close();
    }
  });
});
