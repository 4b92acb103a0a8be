// Log lines are JSON, one object a line (pino); each line logged while a request is handled carries
// its request id (the caller's X-Request-Id when sane, else a new one, answered in the header);
// LEDGER_LOG_LEVEL decides what is written, and the accepted ingest requests' lines are debug (README
// "Observability"). test/e2e/access.e2e-spec.ts checks that no secret is in any line.
import { ConfigError } from '@ledger/service/config';
import { openAccount, renderCompleted } from '../e2e/support';
import { configWith, Observed, startObserved } from './support';

const rejectedEvent = { specversion: '1.0', id: 'bad-1', source: 'logs-spec', type: 'render.completed', subject: 'acct_logs' };

describe('log lines', () => {
  let l: Observed;
  beforeAll(async () => {
    l = await startObserved(configWith({ LEDGER_LOG_LEVEL: 'debug' }));
    await openAccount(l, 'acct_logs');
  });
  afterAll(() => l.close());

  it('are JSON objects with a level, a time and a message, the start of the service included', () => {
    const lines = l.lines.json(); // throws on a line that is not JSON
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(line).toEqual(expect.objectContaining({ level: expect.any(Number), time: expect.any(String) }));
    expect(lines).toContainEqual(expect.objectContaining({ context: 'NestApplication', msg: 'Nest application successfully started' }));
  });

  it("carry the caller's X-Request-Id in every line of its request, and the answer says it", async () => {
    const res = await l.http.post('/v1/events').set('x-request-id', 'req-logs-1').send([rejectedEvent]).expect(400);
    expect(res.headers['x-request-id']).toBe('req-logs-1');
    const mine = l.lines.json().filter((line) => line.requestId === 'req-logs-1');
    // The ingest's own line (debug) and the request line, both with the id.
    expect(mine).toContainEqual(expect.objectContaining({ context: 'UsageIngest', msg: '1 of 1 events rejected' }));
    expect(mine).toContainEqual(expect.objectContaining({ msg: 'request completed', res: expect.objectContaining({ statusCode: 400 }) }));
  });

  it('give a request without a sane X-Request-Id a new one, the same in its lines and its answer', async () => {
    const res = await l.http.post('/v1/events').set('x-request-id', 'has spaces').send([rejectedEvent]).expect(400);
    const id = res.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(l.lines.json()).toContainEqual(expect.objectContaining({ requestId: id, context: 'UsageIngest' }));
    expect(l.lines.json().some((line) => line.requestId === 'has spaces')).toBe(false);
    // Recorded events carry the same id in their provenance.
    const ok = await l.http
      .post('/v1/events')
      .set('x-request-id', 'req-logs-2')
      .send([renderCompleted({ subject: 'acct_logs', time: '2026-01-01T00:00:30Z', durationMs: 30_000 })])
      .expect(200);
    expect(ok.headers['x-request-id']).toBe('req-logs-2');
  });
});

describe('LEDGER_LOG_LEVEL', () => {
  it('at info (the default) leaves out the debug lines: the accepted ingest requests and /metrics', async () => {
    const l = await startObserved(configWith());
    try {
      await openAccount(l, 'acct_info');
      await l.http
        .post('/v1/events')
        .set('x-request-id', 'req-info-ok')
        .send([renderCompleted({ subject: 'acct_info', time: '2026-01-01T00:00:30Z', durationMs: 30_000 })])
        .expect(200);
      await l.http.post('/v1/events').set('x-request-id', 'req-info-bad').send([rejectedEvent]).expect(400);
      await l.http.get('/v1/accounts').set('x-request-id', 'req-info-read').expect(200);
      const lines = l.lines.json();
      expect(lines.some((line) => line.level === 20)).toBe(false);
      expect(lines.some((line) => line.requestId === 'req-info-ok')).toBe(false); // hot path: debug
      expect(lines).toContainEqual(expect.objectContaining({ requestId: 'req-info-bad', level: 40, msg: 'request completed' }));
      expect(lines).toContainEqual(expect.objectContaining({ requestId: 'req-info-read', level: 30, msg: 'request completed' }));
    } finally {
      await l.close();
    }
  });

  it('refuses a level pino does not have, naming the setting', () => {
    expect(() => configWith({ LEDGER_LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
    expect(() => configWith({ LEDGER_LOG_LEVEL: 'verbose' })).toThrow(/LEDGER_LOG_LEVEL/);
  });
});
