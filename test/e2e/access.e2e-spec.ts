// Access (api.md "Access"): every route of the OpenAPI document has a rule, and each answers as
// its rule says: no key 401, a role it does not list 403, a key bound to another account 404, the
// right role passes. Keys: the secret shown once and kept nowhere, revoked and expired keys refused
// from the next request, lastUsedAt, the rate limit, the slowing of failed authentications.
import { Writable } from 'stream';
import { PUBLIC, ROUTE_RULES } from '@ledger/service/access/route-rules';
import { expressPath } from '@ledger/service/access/openapi';
import { EVENT_STORE, EventStore } from '@ledger/event-store';
import { Role } from '@ledger/domain';
import request from 'supertest';
import { readConfig } from '@ledger/service/config';
import { createLedgerApp } from '../../apps/ledger/src/create-app';
import { ADMIN_ENV, asKey, bearer, TEST_ADMIN_KEY } from '../support/access';
import { Ledger, openAccount, postEvents, proAccount, renderCompleted, SIMULATION_START, startLedger } from './support';

let ledger: Ledger;
beforeAll(async () => {
  // The walk below sends unknown keys to every route: more failures than the default allows an address.
  ledger = await startLedger({ LEDGER_PROCESS: 'false', LEDGER_AUTH_FAILURES: '1000' });
});
afterAll(() => ledger?.close());

const server = () => ledger.app.getHttpServer();
const as = (key: string) => asKey(server(), key);
const anonymous = () => request(server());

async function issue(role: Role, extra: Record<string, unknown> = {}) {
  const res = await ledger.http.post('/v1/api-keys').send({ role, name: `${role} key`, ...extra });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string; prefix: string; role: Role; accountId: string | null };
}

describe('keys', () => {
  it('shows the secret once, with a prefix that says what it is; lists keys without secrets', async () => {
    const k = await issue('finance');
    expect(k.key).toMatch(/^lk_finance_[A-Za-z0-9_-]{43}$/);
    expect(k.key.startsWith(k.prefix)).toBe(true);
    expect(k.prefix.length).toBeLessThan(k.key.length - 30);
    const list = await ledger.http.get('/v1/api-keys').expect(200);
    const listed = list.body.items.find((i: { id: string }) => i.id === k.id);
    expect(listed).toMatchObject({ id: k.id, prefix: k.prefix, role: 'finance', name: 'finance key', revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(k.key);
    expect(Object.keys(listed)).not.toContain('hash');
  });

  it('keeps the secret out of the log, /health and the answers to its use', async () => {
    const k = await issue('producer');
    const store = ledger.app.get<EventStore>(EVENT_STORE);
    const log = JSON.stringify(await store.readAll(0n, 100_000), (_, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(log).toContain(k.id);
    expect(log).not.toContain(k.key);
    expect(log).not.toContain(k.key.slice(k.prefix.length)); // not even the part after the prefix
    const health = await anonymous().get('/health');
    expect(JSON.stringify(health.body)).not.toContain(k.key);
    const refused = await as(k.key).get('/v1/invoices');
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).not.toContain(k.key);
    const wrong = await as(`${k.key}x`).get('/v1/invoices');
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(wrong.body)).not.toContain(k.key);
  });

  it('refuses a revoked key from the next request on, and records who revoked it when', async () => {
    const k = await issue('finance');
    await as(k.key).get('/v1/invoices').expect(200);
    const revoked = await ledger.http.post(`/v1/api-keys/${k.id}/revoke`).expect(200);
    expect(revoked.body).toMatchObject({ id: k.id, revokedAt: expect.any(String), issuedBy: 'env:LEDGER_ADMIN_KEY' });
    const next = await as(k.key).get('/v1/invoices');
    expect(next.status).toBe(401);
    expect(next.body.error).toBe('unauthenticated');
    const again = await ledger.http.post(`/v1/api-keys/${k.id}/revoke`).expect(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    await ledger.http.post('/v1/api-keys/key_nosuchkey/revoke').expect(404);
  });

  it('refuses an expired key from its expiry on', async () => {
    const k = await issue('finance', { expiresAt: new Date(Date.now() + 1500).toISOString() });
    await as(k.key).get('/v1/invoices').expect(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await as(k.key).get('/v1/invoices')).status).toBe(401);
  });

  it('refuses bad key requests, naming the field', async () => {
    const bad = async (body: Record<string, unknown>, field: string, status = 400) => {
      const res = await ledger.http.post('/v1/api-keys').send(body);
      expect([body, res.status, res.body]).toEqual([body, status, expect.anything()]);
      expect(res.body.details.map((d: { field?: string }) => d.field)).toContain(field);
    };
    await bad({ role: 'root', name: 'x' }, 'role');
    await bad({ role: 'account', name: 'x' }, 'accountId');
    await bad({ role: 'finance', name: 'x', accountId: 'acct_1' }, 'accountId');
    await bad({ role: 'account', name: 'x', accountId: 'acct_nobody' }, 'accountId', 404);
    await bad({ role: 'finance', name: 'x', expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt');
  });

  it('keeps lastUsedAt of each key', async () => {
    const k = await issue('finance');
    const before = (await ledger.http.get('/v1/api-keys')).body.items.find((i: { id: string }) => i.id === k.id);
    expect(before.lastUsedAt).toBeNull();
    const t = Date.now();
    await as(k.key).get('/v1/invoices').expect(200);
    const after = (await ledger.http.get('/v1/api-keys')).body.items.find((i: { id: string }) => i.id === k.id);
    expect(Date.parse(after.lastUsedAt)).toBeGreaterThanOrEqual(t - 5);
  });

  it('lets auditors read the history of issues and revocations, without hashes', async () => {
    const auditor = await issue('auditor');
    const history = await as(auditor.key).get('/v1/audit/api-keys').expect(200);
    const types = history.body.items.map((i: { type: string }) => i.type);
    expect(types).toContain('ApiKeyIssued');
    expect(types).toContain('ApiKeyRevoked');
    expect(JSON.stringify(history.body)).not.toMatch(/"hash"/);
    await as((await issue('finance')).key)
      .get('/v1/audit/api-keys')
      .expect(403);
  });
});

describe('provenance', () => {
  it('names the key that sent usage over HTTP', async () => {
    await proAccount(ledger, 'acct_prov');
    const producer = await issue('producer');
    await as(producer.key)
      .post('/v1/events')
      .send([renderCompleted({ subject: 'acct_prov', time: SIMULATION_START, durationMs: 20_000 })])
      .expect(200);
    const entries = await ledger.http.get('/v1/accounts/acct_prov/entries').expect(200);
    const charge = entries.body.entries.find((e: { kind: string }) => e.kind === 'charge');
    expect(charge.provenance).toMatchObject({ via: 'http', keyId: producer.id });
  });
});

describe('every route of the OpenAPI document', () => {
  const placeholders: Record<string, string> = {};
  let keys: Record<'producer' | 'finance' | 'auditor' | 'metrics' | 'own', string>;
  let operations: { method: string; path: string; route: string }[];

  beforeAll(async () => {
    await proAccount(ledger, 'acct_a');
    await proAccount(ledger, 'acct_b');
    await postEvents(ledger, [renderCompleted({ subject: 'acct_a', time: SIMULATION_START, durationMs: 20_000 })]).expect(200);
    const invoices = await ledger.http.get('/v1/invoices').query({ accountId: 'acct_b' }).expect(200);
    placeholders.number = invoices.body.invoices[0].number;
    placeholders.id = 'acct_a';
    placeholders.wallet = 'api';
    placeholders.holdId = 'hold_none';
    keys = {
      producer: (await issue('producer')).key,
      finance: (await issue('finance')).key,
      auditor: (await issue('auditor')).key,
      metrics: (await issue('metrics')).key,
      own: (await issue('account', { accountId: 'acct_a' })).key,
    };
    const doc = (await anonymous().get('/docs/json').expect(200)).body;
    operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path, route: `${method.toUpperCase()} ${expressPath(path)}` })),
    );
  });

  const call = (key: string | undefined, op: { method: string; path: string }, over: Record<string, string> = {}) => {
    const url = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(over[name] ?? placeholders[name]));
    const client = key === undefined ? anonymous() : as(key);
    return client[op.method.toLowerCase() as 'get'](url).send(op.method === 'GET' ? undefined : {});
  };

  it('has a rule for every route, and no rule for a route that is not there', () => {
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.map((o) => o.route).filter((r) => !(r in ROUTE_RULES))).toEqual([]);
    const served = new Set(operations.map((o) => o.route));
    expect(Object.keys(ROUTE_RULES).filter((r) => !served.has(r))).toEqual([]);
  });

  it('declares the bearer scheme and the refusals of each route', async () => {
    const doc = (await anonymous().get('/docs/json').expect(200)).body;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const op of operations) {
      const o = doc.paths[op.path][op.method.toLowerCase()];
      if (ROUTE_RULES[op.route] === PUBLIC) continue;
      expect([op.route, o.security]).toEqual([op.route, [{ bearer: [] }]]);
      expect([op.route, Object.keys(o.responses)]).toEqual([op.route, expect.arrayContaining(['401', '403'])]);
    }
  });

  it('answers 401 without a key, and with an unknown one', async () => {
    for (const op of operations) {
      if (ROUTE_RULES[op.route] === PUBLIC) continue;
      const res = await call(undefined, op);
      expect([op.route, res.status, res.body.error]).toEqual([op.route, 401, 'unauthenticated']);
      const unknown = await call('lk_admin_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', op);
      expect([op.route, unknown.status]).toEqual([op.route, 401]);
    }
  });

  it('answers 403 to each role the rule does not list, and lets the listed ones through', async () => {
    const roleOf = { producer: 'producer', finance: 'finance', auditor: 'auditor', metrics: 'metrics', own: 'account' } as const;
    const matrix: string[] = [];
    for (const op of operations) {
      const rule = ROUTE_RULES[op.route];
      if (rule === PUBLIC) continue;
      // Moving the clock or revoking keys would change what the other cases see: their body is empty, so they stop at validation.
      for (const [name, role] of Object.entries(roleOf) as [keyof typeof keys, Role][]) {
        const res = await call(keys[name], op);
        const listed = rule.roles.includes(role) && !(role === 'account' && rule.scope === 'none');
        if (listed) expect([op.route, role, [401, 403].includes(res.status)]).toEqual([op.route, role, false]);
        else expect([op.route, role, res.status, res.body.error]).toEqual([op.route, role, 403, 'forbidden']);
        if (listed) matrix.push(`${op.route} ${role}`);
      }
    }
    expect(matrix).toContain('POST /v1/events producer');
    expect(matrix).toContain('GET /v1/accounts/:id/balances account');
  });

  it('answers a key bound to one account about another account as if it did not exist', async () => {
    for (const op of operations) {
      const rule = ROUTE_RULES[op.route];
      if (rule === PUBLIC || rule.scope !== 'path') continue;
      const mine = await call(keys.own, op);
      expect([op.route, mine.status]).toEqual([op.route, 200]);
      const theirs = await call(keys.own, op, { id: 'acct_b' });
      const unknown = await call(keys.finance, op, { id: 'acct_nobody' });
      expect([op.route, theirs.status, theirs.body.error]).toEqual([op.route, 404, 'account_not_found']);
      expect([op.route, unknown.status, unknown.body.error]).toEqual([op.route, 404, 'account_not_found']);
    }
  });

  it('filters the lists and exports of an account key to its account, whatever the query says', async () => {
    const own = as(keys.own);
    const invoices = await own.get('/v1/invoices').query({ accountId: 'acct_b' }).expect(200);
    expect(invoices.body.invoices.length).toBeGreaterThan(0);
    expect(new Set(invoices.body.invoices.map((i: { accountId: string }) => i.accountId))).toEqual(new Set(['acct_a']));
    const usage = await own.get('/v1/usage').expect(200);
    expect(JSON.stringify(usage.body)).not.toContain('acct_b');
    const csv = await own.get('/v1/exports/entries.csv').query({ from: '2025-12-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }).expect(200);
    expect(csv.text).toContain('acct_a');
    expect(csv.text).not.toContain('acct_b');
    const directory = await own.get('/v1/accounts').query({ accountId: 'acct_b' }).expect(200);
    expect(directory.body.items.map((i: { accountId: string }) => i.accountId)).toEqual(['acct_a']);
    const flows = await own.get('/v1/reports/credit-flows').expect(200);
    expect(flows.body.items.length).toBeGreaterThan(0);
    expect(new Set(flows.body.items.map((i: { accountId: string }) => i.accountId))).toEqual(new Set(['acct_a']));
    const flowsCsv = await own.get('/v1/exports/credit-flows.csv').query({ accountId: 'acct_b' }).expect(200);
    expect(flowsCsv.text).toContain('acct_a');
    expect(flowsCsv.text).not.toContain('acct_b');
    const theirs = await own.get(`/v1/invoices/${encodeURIComponent(placeholders.number)}`);
    expect([theirs.status, theirs.body.error]).toEqual([404, 'invoice_not_found']);
    await as(keys.finance)
      .get(`/v1/invoices/${encodeURIComponent(placeholders.number)}`)
      .expect(200);
  });
});

describe('abuse', () => {
  let limited: Ledger;
  beforeAll(async () => {
    limited = await startLedger({
      LEDGER_PROCESS: 'false',
      LEDGER_RATE_LIMIT: '3',
      LEDGER_RATE_WINDOW_MS: '60000',
      LEDGER_AUTH_FAILURES: '3',
    });
    await openAccount(limited, 'acct_r');
  });
  afterAll(() => limited?.close());

  const producerOf = async () =>
    (await limited.http.post('/v1/api-keys').send({ role: 'producer', name: 'p' }).expect(201)).body.key as string;

  it('limits POST /v1/events per key: 429 with Retry-After past the limit, other keys unaffected', async () => {
    const [one, two] = [await producerOf(), await producerOf()];
    const post = (key: string) => asKey(limited.app.getHttpServer(), key).post('/v1/events').send([]);
    for (let i = 0; i < 3; i++) await post(one).expect(200);
    const over = await post(one);
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('rate_limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    await post(two).expect(200);
  });

  it('slows an address that fails authentication many times: 429 with Retry-After, a good key still passes', async () => {
    const good = await producerOf();
    const bad = () => asKey(limited.app.getHttpServer(), 'lk_admin_guess').get('/v1/invoices');
    for (let i = 0; i < 3; i++) expect((await bad()).status).toBe(401);
    const blocked = await bad();
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    await asKey(limited.app.getHttpServer(), good).post('/v1/holds').set(bearer(good)).send({}).expect(400);
  });
});

describe('LEDGER_AUTH=off', () => {
  it('lets every caller in as admin (experiments only)', async () => {
    const open = await startLedger({ LEDGER_PROCESS: 'false', LEDGER_AUTH: 'off' });
    try {
      const res = await request(open.app.getHttpServer()).post('/v1/accounts').send({ accountId: 'acct_open', name: 'Open' });
      expect(res.status).toBe(201);
    } finally {
      await open.close();
    }
  });
});

describe('log lines', () => {
  it('never carry a secret: not the admin key, not an issued key, not a wrong one', async () => {
    // Every line the service writes (pino's JSON lines, Nest's and the request lines with their headers), at debug.
    const printed: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        printed.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const config = readConfig({
      ...ADMIN_ENV,
      LEDGER_SIMULATION: 'true',
      LEDGER_SIMULATION_START: SIMULATION_START,
      LEDGER_PROCESS: 'false',
      LEDGER_LOG_LEVEL: 'debug',
    });
    const app = await createLedgerApp(config, { logDestination: destination });
    await app.init();
    let secret = '';
    try {
      const admin = asKey(app.getHttpServer());
      const issued = await admin.post('/v1/api-keys').send({ role: 'producer', name: 'logged' }).expect(201);
      secret = issued.body.key;
      await asKey(app.getHttpServer(), secret)
        .post('/v1/events')
        .send([{ not: 'an event' }]);
      await request(app.getHttpServer()).get('/v1/invoices').set('x-api-key', secret).expect(401); // the wrong header, logged redacted
      await asKey(app.getHttpServer(), `${secret}-wrong`).get('/v1/invoices').expect(401);
      await asKey(app.getHttpServer(), secret).get('/v1/invoices').expect(403);
      await admin.post(`/v1/api-keys/${issued.body.id}/revoke`).expect(200);
      await asKey(app.getHttpServer(), secret).post('/v1/events').send([]).expect(401);
    } finally {
      await app.close();
    }
    expect(printed.length).toBeGreaterThan(10); // the logger did print: its start, the routes, the refusals
    // The request lines were written with the headers that carried the keys, each one redacted.
    const requests = printed.map((line) => JSON.parse(line)).filter((line) => line.msg === 'request completed');
    expect(requests.filter((line) => line.req.headers.authorization === '[redacted]').length).toBeGreaterThanOrEqual(6);
    expect(requests).toContainEqual(
      expect.objectContaining({ req: expect.objectContaining({ headers: expect.objectContaining({ 'x-api-key': '[redacted]' }) }) }),
    );
    const all = printed.join('\n');
    expect(all).not.toContain(TEST_ADMIN_KEY);
    expect(all).not.toContain(secret);
    expect(all).not.toContain(secret.slice(12));
  });
});
