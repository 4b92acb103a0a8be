// Hostile input over HTTP (issue 11): NULs, lone surrogates, control characters, huge and deep
// values, absurd durations, a huge body. Each is bad input (a 4xx naming the field), never a 500,
// and the good events of its batch are still recorded.
import { randomUUID } from 'crypto';
import { MAX_JSON_DEPTH, MAX_LENGTH, MAX_RENDER_MS, MAX_SESSION_MS } from '@ledger/service/kit/input-limits';
import {
  Envelope,
  charges,
  Ledger,
  MINUTE,
  postEvents,
  proAccountAnHourOld,
  renderCompleted,
  startLedger,
  streamingEnded,
  withField,
} from './support';

let ledger: Ledger;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(() => ledger?.close());

const givenProAccount = (accountId: string) => proAccountAnHourOld(ledger, accountId);

const deep = (levels: number): unknown => {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = { v };
  return v;
};

const renderFailed = (subject: string, time: string, reason: string): Envelope => ({
  specversion: '1.0',
  id: randomUUID(),
  source: 'renderer/eu-west-1',
  type: 'render.failed',
  time,
  subject,
  data: { jobId: 'job_f', product: 'avatar_video', reason },
});

describe('a hostile field next to good events', () => {
  // Each case: how a good render (or session) is spoiled, and the field the answer names.
  const cases: [string, (e: Envelope, at: (m: number) => string) => Envelope, string][] = [
    ['a NUL in id', (e) => withField(e, 'id', 'a\u0000b'), 'id'],
    ['a lone surrogate in id', (e) => withField(e, 'id', 'a\ud800b'), 'id'],
    ['an id longer than its maximum', (e) => withField(e, 'id', 'x'.repeat(MAX_LENGTH.id + 1)), 'id'],
    ['a control character in source', (e) => withField(e, 'source', 'renderer/\u001b[31m'), 'source'],
    ['a lone surrogate in source', (e) => withField(e, 'source', '\udc00'), 'source'],
    ['a NUL in subject', (e) => withField(e, 'subject', `${e.subject}\u0000`), 'subject'],
    ['a NUL in data.jobId', (e) => withField(e, 'data.jobId', 'job\u0000'), 'data.jobId'],
    ['a line break in data.jobId', (e) => withField(e, 'data.jobId', 'job\nforged log line'), 'data.jobId'],
    ['a data.jobId longer than its maximum', (e) => withField(e, 'data.jobId', 'j'.repeat(MAX_LENGTH.id + 1)), 'data.jobId'],
    ['a 1 MB id (the whole event too large)', (e) => withField(e, 'id', 'i'.repeat(1024 * 1024)), '$'],
    [`data nested ${MAX_JSON_DEPTH + 1} deep`, (e) => withField(e, 'data.extra', deep(MAX_JSON_DEPTH)), '$'],
    ['durationMs 1e15', (e) => withField(e, 'data.durationMs', 1e15), 'data.durationMs'],
    ['durationMs 1e308', (e) => withField(e, 'data.durationMs', 1e308), 'data.durationMs'],
    ['a render one ms longer than 24 hours', (e) => withField(e, 'data.durationMs', MAX_RENDER_MS + 1), 'data.durationMs'],
    [
      'a 100-year session',
      (e, at) => streamingEnded({ subject: e.subject, time: at(11), durationMs: 100 * 365 * 24 * 60 * MINUTE }),
      'data.endedAt',
    ],
    [
      'a session one ms longer than 7 days',
      (e, at) => streamingEnded({ subject: e.subject, time: at(11), durationMs: MAX_SESSION_MS + 1 }),
      'data.endedAt',
    ],
    [
      'a tab in data.sessionId',
      (e, at) => streamingEnded({ subject: e.subject, time: at(11), durationMs: MINUTE, sessionId: 'sess\t1' }),
      'data.sessionId',
    ],
    ["a NUL in a failed render's reason", (e, at) => renderFailed(e.subject, at(11), 'oops\u0000'), 'data.reason'],
  ];

  it.each(cases)('%s: rejected naming the field; the neighbours are charged', async (_name, spoil, field) => {
    const accountId = `acct_h_${Math.random().toString(36).slice(2, 9)}`;
    const at = await givenProAccount(accountId);
    const before = renderCompleted({ subject: accountId, time: at(10), durationMs: 103_000 });
    const bad = spoil(renderCompleted({ subject: accountId, time: at(11), durationMs: 103_000 }), at);
    const after = renderCompleted({ subject: accountId, time: at(12), durationMs: 103_000 });
    const res = await postEvents(ledger, [before, bad, after]);
    expect(res.status).toBe(400);
    expect(res.body.results.map((r: any) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(res.body.details).toHaveLength(1);
    expect(res.body.details[0].index).toBe(1);
    expect(res.body.details[0].errors.map((e: any) => e.field)).toContain(field);
    expect((await charges(ledger, accountId)).map((c) => c.usage!.id)).toEqual([before.id, after.id]);
  });

  it('data nested 10,000 deep (sent as text: JSON.stringify would overflow): rejected naming $; the neighbours are charged', async () => {
    const accountId = `acct_h_deep`;
    const at = await givenProAccount(accountId);
    const before = renderCompleted({ subject: accountId, time: at(10), durationMs: 103_000 });
    const bad = renderCompleted({ subject: accountId, time: at(11), durationMs: 103_000 });
    const after = renderCompleted({ subject: accountId, time: at(12), durationMs: 103_000 });
    const badText = JSON.stringify(bad).replace(/}}$/, `,"extra":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`);
    const res = await ledger.http
      .post('/v1/events')
      .set('content-type', 'application/json')
      .send(`[${JSON.stringify(before)},${badText},${JSON.stringify(after)}]`);
    expect(res.status).toBe(400);
    expect(res.body.results.map((r: any) => r.status)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(res.body.details[0].errors.map((e: any) => e.field)).toEqual(['$']);
    expect((await charges(ledger, accountId)).map((c) => c.usage!.id)).toEqual([before.id, after.id]);
  });

  it('a __proto__ key does not lift the rules: the event is checked (rejected naming its fields), not a 500', async () => {
    const res = await ledger.http
      .post('/v1/events')
      .set('content-type', 'application/json')
      .send('[{"__proto__": [1, {"time": "2026-01-01T00:00:00Z"}]}, {"data": {"__proto__": {}}}]');
    expect(res.status).toBe(400);
    expect(res.body.results.map((r: any) => r.status)).toEqual(['rejected', 'rejected']);
    expect(res.body.details[0].errors.map((e: any) => e.field)).toContain('time');
  });

  it('a rejected id or source that breaks the rule is not echoed in the answer', async () => {
    const res = await postEvents(ledger, [
      withField(renderCompleted({ subject: 'acct_x', time: '2026-01-01T00:00:00Z', durationMs: 1 }), 'id', 'a\u0000b'),
    ]);
    expect(res.status).toBe(400);
    expect(res.body.results[0].id).toBeUndefined();
    expect(res.body.results[0].source).toBe('renderer/eu-west-1');
  });
});

describe('the other routes', () => {
  it('GET /v1/accounts/a%00b/balances is a 400 naming id, not a 500', async () => {
    const res = await ledger.http.get('/v1/accounts/a%00b/balances');
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'id' })]);
  });

  it.each(['entries', 'notifications'])('GET /v1/accounts/a%%00b/%s is a 400', async (route) => {
    expect((await ledger.http.get(`/v1/accounts/a%00b/${route}`)).status).toBe(400);
  });

  it('GET /v1/invoices/{number} with a NUL is a 400', async () => {
    expect((await ledger.http.get('/v1/invoices/INV-%00-1')).status).toBe(400);
  });

  it('an account name with a NUL, or longer than 200 characters, is a 400 naming name', async () => {
    for (const name of ['Acme\u0000', 'n'.repeat(MAX_LENGTH.name + 1), 'Acme\ud800']) {
      const res = await ledger.http.post('/v1/accounts').send({ accountId: `acct_n_${randomUUID().slice(0, 8)}`, name });
      expect(res.status).toBe(400);
      expect(res.body.details.map((d: any) => d.field)).toEqual(['name']);
    }
  });

  it('POST /v1/authorizations with estimatedDurationMs 1e308 is a 400 naming it', async () => {
    await givenProAccount('acct_auth_huge');
    const res = await ledger.http
      .post('/v1/authorizations')
      .send({ accountId: 'acct_auth_huge', product: 'avatar_video', engine: 'unlimited', estimatedDurationMs: 1e308 });
    expect(res.status).toBe(400);
    expect(res.body.details.map((d: any) => d.field)).toEqual(['estimatedDurationMs']);
  });

  it('a render estimate above 24 hours is a 400; a session estimate of 2 days is answered', async () => {
    await givenProAccount('acct_auth_long');
    const render = await ledger.http
      .post('/v1/authorizations')
      .send({ accountId: 'acct_auth_long', product: 'proofreading', estimatedDurationMs: MAX_RENDER_MS + 1 });
    expect(render.status).toBe(400);
    const session = await ledger.http
      .post('/v1/authorizations')
      .send({ accountId: 'acct_auth_long', integration: 'api', estimatedDurationMs: 2 * 24 * 60 * MINUTE });
    expect(session.status).toBe(200);
  });

  it('an 8,000-character x-request-id is replaced by a fresh one (and the answer says which)', async () => {
    const at = await givenProAccount('acct_reqid');
    const e = renderCompleted({ subject: 'acct_reqid', time: at(5), durationMs: 1_000 });
    const res = await postEvents(ledger, [e], 'r'.repeat(8000));
    expect(res.status).toBe(200);
    const used = res.headers['x-request-id'];
    expect(used).toMatch(/^[0-9a-f-]{36}$/);
    expect((await charges(ledger, 'acct_reqid'))[0].provenance).toMatchObject({ via: 'http', requestId: used });
  });

  it('a reasonable x-request-id is kept', async () => {
    const at = await givenProAccount('acct_reqid_ok');
    const res = await postEvents(ledger, [renderCompleted({ subject: 'acct_reqid_ok', time: at(5), durationMs: 1_000 })], 'req-42');
    expect(res.headers['x-request-id']).toBe('req-42');
    expect((await charges(ledger, 'acct_reqid_ok'))[0].provenance).toMatchObject({ requestId: 'req-42' });
  });
});

describe('a body above LEDGER_MAX_BODY_BYTES (10 MiB by default)', () => {
  it('answers 413 before parsing, for JSON and NDJSON', async () => {
    const huge = 'x'.repeat(11 * 1024 * 1024);
    const json = await ledger.http.post('/v1/events').set('content-type', 'application/json').send(`["${huge}"]`);
    expect(json.status).toBe(413);
    expect(json.body).toMatchObject({ error: 'payload_too_large' });
    const nd = await ledger.http.post('/v1/events').set('content-type', 'application/x-ndjson').send(huge);
    expect(nd.status).toBe(413);
  });

  it('a smaller limit is a setting', async () => {
    const small = await startLedger({ LEDGER_MAX_BODY_BYTES: '2048' });
    try {
      const res = await small.http
        .post('/v1/events')
        .set('content-type', 'application/json')
        .send(JSON.stringify(['y'.repeat(3000)]));
      expect(res.status).toBe(413);
    } finally {
      await small.close();
    }
  });
});
