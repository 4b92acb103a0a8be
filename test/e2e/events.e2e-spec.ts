// POST /v1/events: batches (JSON array and NDJSON), bad input next to good input, duplicates,
// conflicts and concurrent writers, seen from the balances and entries users read.
import {
  available,
  charges,
  Envelope,
  entries,
  fieldsOf,
  Ledger,
  moveClock,
  postEvents,
  postNdjson,
  proAccount,
  renderCompleted,
  startLedger,
  streamingEnded,
  sumCredits,
  withField,
} from './support';

let ledger: Ledger;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(() => ledger?.close());

const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();
const MIN = 60_000;

/**
 * A fresh api_pro account opened at the clock's current instant; the clock is then moved an hour
 * on, so usage at `at(1..59)` minutes after the opening has happened and shows in the balance.
 */
async function givenProAccount(accountId: string): Promise<{ at: (minutes: number) => string; now: string }> {
  const opened = (await ledger.http.get('/v1/simulation/clock')).body.now as string;
  await proAccount(ledger, accountId);
  const now = plus(opened, 60 * MIN);
  await moveClock(ledger, now);
  return { at: (minutes) => plus(opened, minutes * MIN), now };
}

const statuses = (body: any) => body.results.map((r: any) => r.status);
const chargedIds = async (accountId: string) => (await charges(ledger, accountId)).map((e) => e.usage!.id);

describe('a batch of good events', () => {
  it('is accepted as a JSON array: one result per event, in order, each charged', async () => {
    // given
    const { at } = await givenProAccount('acct_json');
    const video = renderCompleted({ subject: 'acct_json', time: at(10), durationMs: 103_000 }); // 2 credits
    const stream = streamingEnded({ subject: 'acct_json', time: at(20), durationMs: 7.5 * MIN }); // 1.5
    // when
    const res = await postEvents(ledger, [video, stream]);
    // then
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([
      { id: video.id, source: video.source, status: 'accepted' },
      { id: stream.id, source: stream.source, status: 'accepted' },
    ]);
    expect(await available(ledger, 'acct_json')).toBe('96.5');
    expect((await charges(ledger, 'acct_json')).map((e) => [e.usage!.id, e.credits])).toEqual([
      [video.id, '-2'],
      [stream.id, '-1.5'],
    ]);
  });

  it('is accepted as application/x-ndjson, one event a line', async () => {
    const { at } = await givenProAccount('acct_ndjson');
    const a = renderCompleted({ subject: 'acct_ndjson', time: at(5), durationMs: 30_000 }); // 1
    const b = renderCompleted({ subject: 'acct_ndjson', time: at(6), durationMs: 60_000, product: 'video_translation' }); // 4.5
    const c = streamingEnded({ subject: 'acct_ndjson', time: at(7), durationMs: 10_000 }); // 0.1
    const res = await postNdjson(ledger, [a, b, c]);
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => [r.id, r.status])).toEqual([
      [a.id, 'accepted'],
      [b.id, 'accepted'],
      [c.id, 'accepted'],
    ]);
    expect(await available(ledger, 'acct_ndjson')).toBe('94.4');
  });

  it('records a failed render without a charge', async () => {
    const { at } = await givenProAccount('acct_failed');
    const failed: Envelope = {
      specversion: '1.0',
      id: 'fail-1',
      source: 'renderer/eu-west-1',
      type: 'render.failed',
      time: at(3),
      subject: 'acct_failed',
      data: { jobId: 'job_43', product: 'avatar_video', reason: 'timeout' },
    };
    const res = await postEvents(ledger, [failed]);
    expect(res.status).toBe(200);
    expect(statuses(res.body)).toEqual(['accepted']);
    expect(await available(ledger, 'acct_failed')).toBe('100');
    expect(await charges(ledger, 'acct_failed')).toHaveLength(0);
  });
});

describe('one bad event in a batch', () => {
  // Each case: how the good event is spoiled, and the field the answer must name.
  const cases: [string, (good: Envelope) => Envelope, string][] = [
    ['a missing field (data.jobId)', (e) => withField(e, 'data.jobId', undefined), 'data.jobId'],
    ['a missing envelope field (subject)', (e) => withField(e, 'subject', undefined), 'subject'],
    ['a wrongly typed field (durationMs as a string)', (e) => withField(e, 'data.durationMs', '103000'), 'data.durationMs'],
    ['an unknown type', (e) => withField(e, 'type', 'render.started'), 'type'],
    ['an unknown product', (e) => withField(e, 'data.product', 'hologram'), 'data.product'],
    ['a zero duration', (e) => withField(e, 'data.durationMs', 0), 'data.durationMs'],
    ['a negative duration', (e) => withField(e, 'data.durationMs', -1000), 'data.durationMs'],
    ['an unknown account', (e) => withField(e, 'subject', 'acct_nobody'), 'subject'],
    ['a time that is no ISO-8601 instant', (e) => withField(e, 'time', 'yesterday'), 'time'],
    // without an offset the instant would depend on the server's time zone
    ['a time without its UTC offset', (e) => withField(e, 'time', e.time.replace('Z', '')), 'time'],
    // the rate card refuses to price it: it used to fail the whole batch with a 500
    ['a duration too large to price (1e21 ms)', (e) => withField(e, 'data.durationMs', 1e21), 'data.durationMs'],
    ['a fractional duration', (e) => withField(e, 'data.durationMs', 1000.5), 'data.durationMs'],
    ['data that is not an object', (e) => withField(e, 'data', [1, 2]), 'data'],
  ];

  it.each(cases)('%s: 400 naming the field; the good events are charged, nothing stored for the bad one', async (_name, spoil, field) => {
    // given
    const accountId = `acct_bad_${field.replace(/\W/g, '_')}_${Math.random().toString(36).slice(2, 7)}`;
    const { at } = await givenProAccount(accountId);
    const before = renderCompleted({ subject: accountId, time: at(10), durationMs: 103_000 }); // 2
    const bad = spoil(renderCompleted({ subject: accountId, time: at(11), durationMs: 103_000, id: `bad-${accountId}` }));
    const after = streamingEnded({ subject: accountId, time: at(12), durationMs: 5 * MIN }); // 1
    // when
    const res = await postEvents(ledger, [before, bad, after]);
    // then
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_events');
    expect(res.body.details).toHaveLength(1);
    expect(res.body.details[0]).toMatchObject({ id: bad.id, status: 'rejected' });
    expect(fieldsOf(res.body, bad.id)).toContain(field);
    expect(statuses(res.body)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(await available(ledger, accountId)).toBe('97');
    expect(await chargedIds(accountId)).toEqual([before.id, after.id]);
  });

  it('a session that ends before it starts: 400 naming data.endedAt', async () => {
    const { at } = await givenProAccount('acct_backwards_session');
    const good = renderCompleted({ subject: 'acct_backwards_session', time: at(10), durationMs: 1_000 }); // 0.5
    const bad = streamingEnded({ subject: 'acct_backwards_session', time: at(12), durationMs: 60_000, id: 'sess-backwards' });
    const swapped = withField(withField(bad, 'data.startedAt', bad.data.endedAt), 'data.endedAt', bad.data.startedAt);
    const res = await postEvents(ledger, [good, swapped]);
    expect(res.status).toBe(400);
    expect(fieldsOf(res.body, 'sess-backwards')).toEqual(['data.endedAt']);
    expect(await available(ledger, 'acct_backwards_session')).toBe('99.5');
    expect(await chargedIds('acct_backwards_session')).toEqual([good.id]);
  });

  it('a session of zero seconds: 400 naming data.endedAt', async () => {
    const { at } = await givenProAccount('acct_zero_session');
    const bad = withField(
      streamingEnded({ subject: 'acct_zero_session', time: at(12), durationMs: 60_000, id: 'sess-zero' }),
      'data.startedAt',
      at(12),
    );
    const res = await postEvents(ledger, [bad]);
    expect(res.status).toBe(400);
    expect(fieldsOf(res.body, 'sess-zero')).toEqual(['data.endedAt']);
    expect(await charges(ledger, 'acct_zero_session')).toHaveLength(0);
  });

  it('a session without UTC offsets: 400 naming data.startedAt and data.endedAt', async () => {
    const { at } = await givenProAccount('acct_local_session');
    const local = streamingEnded({ subject: 'acct_local_session', time: at(12), durationMs: 60_000, id: 'sess-local' });
    const bad = withField(
      withField(local, 'data.startedAt', (local.data.startedAt as string).replace('Z', '')),
      'data.endedAt',
      (local.data.endedAt as string).replace('Z', ''),
    );
    const res = await postEvents(ledger, [bad]);
    expect(res.status).toBe(400);
    expect(fieldsOf(res.body, 'sess-local').sort()).toEqual(['data.endedAt', 'data.startedAt']);
  });

  it('a time with another UTC offset is accepted, at its UTC instant', async () => {
    const { at } = await givenProAccount('acct_offset');
    const e = renderCompleted({ subject: 'acct_offset', time: at(30), durationMs: 1_000 });
    const utc = new Date(e.time);
    const inParis = `${new Date(utc.getTime() + 3_600_000).toISOString().slice(0, 23)}+01:00`;
    const res = await postEvents(ledger, [withField(e, 'time', inParis)]);
    expect(res.status).toBe(200);
    expect((await charges(ledger, 'acct_offset')).map((c) => c.at)).toEqual([utc.toISOString()]);
  });

  it('an event more than 5 minutes ahead of the ledger clock: 400 naming time; 5 minutes ahead exactly is fine', async () => {
    // given the clock at `now`
    const { at, now } = await givenProAccount('acct_future');
    const good = renderCompleted({ subject: 'acct_future', time: at(30), durationMs: 1_000 }); // 0.5
    const edge = renderCompleted({ subject: 'acct_future', time: plus(now, 5 * MIN), durationMs: 1_000, id: 'edge' }); // 0.5, later
    const ahead = renderCompleted({ subject: 'acct_future', time: plus(now, 5 * MIN + 1), durationMs: 1_000, id: 'ahead' });
    // when
    const res = await postEvents(ledger, [good, edge, ahead]);
    // then
    expect(res.status).toBe(400);
    expect(statuses(res.body)).toEqual(['accepted', 'accepted', 'rejected']);
    expect(fieldsOf(res.body, 'ahead')).toEqual(['time']);
    expect(await available(ledger, 'acct_future')).toBe('99.5'); // the edge event lies 5 min in the future
    expect(await chargedIds('acct_future')).toEqual([good.id, 'edge']);
  });

  it('an event from before the account was opened: rejected naming time', async () => {
    const { at } = await givenProAccount('acct_early');
    const early = renderCompleted({ subject: 'acct_early', time: at(-1), durationMs: 1_000, id: 'early' });
    const res = await postEvents(ledger, [early]);
    expect(res.status).toBe(400);
    expect(fieldsOf(res.body, 'early')).toEqual(['time']);
    expect(await charges(ledger, 'acct_early')).toHaveLength(0);
  });

  it('several bad events: each is named with its own fields', async () => {
    const { at } = await givenProAccount('acct_many_bad');
    const base = (id: string) => renderCompleted({ subject: 'acct_many_bad', time: at(10), durationMs: 45_000, id }); // 1
    const res = await postEvents(ledger, [
      withField(base('b1'), 'data.durationMs', 'long'),
      base('g1'),
      withField(withField(base('b2'), 'specversion', '0.3'), 'data.engine', 'turbo'),
      base('g2'),
    ]);
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: any) => d.id)).toEqual(['b1', 'b2']);
    expect(fieldsOf(res.body, 'b1')).toContain('data.durationMs');
    expect(fieldsOf(res.body, 'b2')).toContain('specversion');
    expect(await available(ledger, 'acct_many_bad')).toBe('98');
    expect(await chargedIds('acct_many_bad')).toEqual(['g1', 'g2']);
  });

  it('a malformed JSON line in NDJSON: 400 naming it, the other lines charged', async () => {
    // given
    const { at } = await givenProAccount('acct_nd_bad');
    const a = renderCompleted({ subject: 'acct_nd_bad', time: at(1), durationMs: 103_000 }); // 2
    const c = streamingEnded({ subject: 'acct_nd_bad', time: at(2), durationMs: 10_000 }); // 0.1
    // when
    const res = await postNdjson(ledger, [a, '{"specversion":"1.0","id":"broken",', c]);
    // then
    expect(res.status).toBe(400);
    expect(statuses(res.body)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(res.body.details).toHaveLength(1);
    expect(res.body.details[0].errors.map((e: any) => e.field)).toEqual(['$']);
    expect(res.body.details[0].index).toBe(1); // its place in the batch names the event that has no id
    expect(await available(ledger, 'acct_nd_bad')).toBe('97.9');
    expect(await chargedIds('acct_nd_bad')).toEqual([a.id, c.id]);
  });

  it('a body that is not an array: 400, nothing recorded', async () => {
    const { at } = await givenProAccount('acct_not_array');
    const e = renderCompleted({ subject: 'acct_not_array', time: at(1), durationMs: 1_000 });
    const res = await ledger.http.post('/v1/events').set('content-type', 'application/json').send(JSON.stringify(e));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid');
    expect(await charges(ledger, 'acct_not_array')).toHaveLength(0);
  });
});

describe('duplicates and conflicts', () => {
  it('the same source + id sent again is a duplicate, charged once', async () => {
    // given an event that was accepted
    const { at } = await givenProAccount('acct_dup');
    const e = renderCompleted({ subject: 'acct_dup', time: at(10), durationMs: 103_000 });
    expect(statuses((await postEvents(ledger, [e])).body)).toEqual(['accepted']);
    // when it comes again, by JSON and by NDJSON, and twice in one batch
    const again = await postEvents(ledger, [e, e]);
    const line = await postNdjson(ledger, [e]);
    // then
    expect(again.status).toBe(200);
    expect(again.body.results).toEqual([
      { id: e.id, source: e.source, status: 'duplicate' },
      { id: e.id, source: e.source, status: 'duplicate' },
    ]);
    expect(line.status).toBe(200);
    expect(statuses(line.body)).toEqual(['duplicate']);
    expect(await available(ledger, 'acct_dup')).toBe('98');
    expect(await chargedIds('acct_dup')).toEqual([e.id]);
  });

  it('the same event with its fields in another order is still a duplicate', async () => {
    const { at } = await givenProAccount('acct_dup_order');
    const e = renderCompleted({ subject: 'acct_dup_order', time: at(10), durationMs: 103_000 });
    await postEvents(ledger, [e]);
    const reordered = Object.fromEntries(
      Object.entries(e)
        .reverse()
        .map(([k, v]) => [k, k === 'data' ? Object.fromEntries(Object.entries(v as object).reverse()) : v]),
    );
    const res = await postNdjson(ledger, [JSON.stringify(reordered)]);
    expect(statuses(res.body)).toEqual(['duplicate']);
    expect(await available(ledger, 'acct_dup_order')).toBe('98');
  });

  it('the same event twice in its first batch: accepted once, then duplicate', async () => {
    const { at } = await givenProAccount('acct_dup_batch');
    const e = renderCompleted({ subject: 'acct_dup_batch', time: at(10), durationMs: 103_000 });
    const res = await postEvents(ledger, [e, e]);
    expect(statuses(res.body)).toEqual(['accepted', 'duplicate']);
    expect(await available(ledger, 'acct_dup_batch')).toBe('98');
  });

  it('the same id from another source is another event', async () => {
    const { at } = await givenProAccount('acct_sources');
    const a = renderCompleted({ subject: 'acct_sources', time: at(10), durationMs: 1_000, id: 'job-1', source: 'renderer/eu-west-1' });
    const b = renderCompleted({ subject: 'acct_sources', time: at(10), durationMs: 1_000, id: 'job-1', source: 'renderer/us-east-1' });
    expect(statuses((await postEvents(ledger, [a, b])).body)).toEqual(['accepted', 'accepted']);
    expect(await available(ledger, 'acct_sources')).toBe('99');
  });

  it('the same source + id with another body is a conflict: 409, never applied', async () => {
    // given
    const { at } = await givenProAccount('acct_conflict');
    const e = renderCompleted({ subject: 'acct_conflict', time: at(10), durationMs: 103_000 });
    await postEvents(ledger, [e]);
    // when the same pair comes with a longer duration
    const changed = withField(e, 'data.durationMs', 900_000);
    const res = await postEvents(ledger, [changed]);
    // then
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('conflict');
    expect(res.body.results).toHaveLength(1);
    expect(res.body.results[0]).toMatchObject({ id: e.id, source: e.source, status: 'rejected' });
    expect(res.body.results[0].errors.map((x: any) => x.code)).toEqual(['conflict']);
    expect(res.body.details).toEqual([expect.objectContaining({ index: 0, id: e.id, status: 'rejected' })]);
    expect(await available(ledger, 'acct_conflict')).toBe('98');
    expect(await chargedIds('acct_conflict')).toEqual([e.id]);

    // and next to a good event it is still a 409 (the only problem), the good event charged
    const good = renderCompleted({ subject: 'acct_conflict', time: at(11), durationMs: 1_000 }); // 0.5
    const mixed = await postEvents(ledger, [good, changed]);
    expect(mixed.status).toBe(409);
    expect(statuses(mixed.body)).toEqual(['accepted', 'rejected']);
    expect(await available(ledger, 'acct_conflict')).toBe('97.5');
    expect(await chargedIds('acct_conflict')).toEqual([e.id, good.id]);
  });

  it('a conflict next to a bad event is reported in a 400, and the good event still counts', async () => {
    const { at } = await givenProAccount('acct_conflict_mix');
    const e = renderCompleted({ subject: 'acct_conflict_mix', time: at(10), durationMs: 1_000 }); // 0.5
    await postEvents(ledger, [e]);
    const good = renderCompleted({ subject: 'acct_conflict_mix', time: at(11), durationMs: 1_000 }); // 0.5
    const zero = renderCompleted({ subject: 'acct_conflict_mix', time: at(12), durationMs: 0, id: 'zero' });
    const res = await postEvents(ledger, [withField(e, 'data.durationMs', 2_000), zero, good]);
    expect(res.status).toBe(400);
    expect(statuses(res.body)).toEqual(['rejected', 'rejected', 'accepted']);
    expect(res.body.results[0].errors[0].code).toBe('conflict');
    expect(fieldsOf(res.body, 'zero')).toEqual(['data.durationMs']);
    expect(await available(ledger, 'acct_conflict_mix')).toBe('99');
  });
});

describe('concurrent writers on one account', () => {
  it('20 concurrent POSTs of distinct events: each charged exactly once', async () => {
    // given
    const { at } = await givenProAccount('acct_busy');
    // 10 videos of 1 s, 15 s, 29 s, 43 s ... 127 s (0.5 credit per started 30-second block) and
    // 10 API streams of 37 s (37/300 credit, rounded up to the millionth once per record)
    const videoCredits = ['0.5', '0.5', '0.5', '1', '1', '1.5', '1.5', '2', '2', '2.5'];
    const events = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0
        ? renderCompleted({ subject: 'acct_busy', time: at(1 + i), durationMs: 1_000 + (i / 2) * 14_000 })
        : streamingEnded({ subject: 'acct_busy', time: at(1 + i), durationMs: 37_000 }),
    );
    const expected = [...videoCredits, ...Array(10).fill('0.123334')];
    // when
    const answers = await Promise.all(events.map((e) => postEvents(ledger, [e])));
    // then
    expect(answers.map((r) => [r.status, r.body.results[0].status])).toEqual(events.map(() => [200, 'accepted']));
    const charged = await charges(ledger, 'acct_busy');
    expect(charged).toHaveLength(20);
    expect(charged.map((c) => c.usage!.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(sumCredits(...expected)).toBe('14.23334');
    expect(await available(ledger, 'acct_busy')).toBe('85.76666');
    expect(sumCredits(...charged.map((c) => c.credits.replace('-', '')))).toBe('14.23334');
  });

  it('10 concurrent POSTs of the same event: one accepted, the others duplicates', async () => {
    const { at } = await givenProAccount('acct_race');
    const e = renderCompleted({ subject: 'acct_race', time: at(10), durationMs: 103_000 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => postEvents(ledger, [e])));
    const seen = answers.map((r) => r.body.results[0].status).sort();
    expect(seen).toEqual(['accepted', ...Array(9).fill('duplicate')]);
    expect(await available(ledger, 'acct_race')).toBe('98');
    expect(await chargedIds('acct_race')).toEqual([e.id]);
  });
});

describe('entries of usage', () => {
  it('name the event (source + id) and where it came from (http, request id)', async () => {
    const { at } = await givenProAccount('acct_prov');
    const e = streamingEnded({ subject: 'acct_prov', time: at(10), durationMs: 10_000, source: 'gateway/us-east-1' });
    await postEvents(ledger, [e], 'req-e2e-42');
    const [charge] = await charges(ledger, 'acct_prov');
    expect(charge).toMatchObject({
      kind: 'charge',
      wallet: 'api',
      credits: '-0.1',
      at: e.time,
      usage: { source: 'gateway/us-east-1', id: e.id, kind: 'streaming.api', durationMs: 10_000, priced: '0.1' },
      provenance: { via: 'http', requestId: 'req-e2e-42', event: { source: 'gateway/us-east-1', id: e.id } },
    });
    const all = await entries(ledger, 'acct_prov');
    expect(all.map((x) => x.kind)).toEqual(['grant', 'forfeit', 'grant', 'charge']);
  });
});
