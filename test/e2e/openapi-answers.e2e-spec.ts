// The OpenAPI document says what each route answers and takes (kit/openapi-answers.ts), and the
// HTTP edge answers as it says: an undeclared method on a known path is 405 with Allow, a body
// that is JSON but no object is refused after the access guard, a null optional field is refused.
import request from 'supertest';
import { Ledger, startLedger } from './support';

let ledger: Ledger;
beforeAll(async () => {
  ledger = await startLedger({ LEDGER_PROCESS: 'false' });
});
afterAll(() => ledger?.close());

describe('undeclared methods', () => {
  it('TRACE on a known path is 405 naming the methods it answers', async () => {
    const res = await ledger.http.trace('/v1/accounts');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST, GET, HEAD');
    expect(res.body.error).toBe('method_not_allowed');
  });

  it('a path with parameters too, and before the access guard', async () => {
    const res = await request(ledger.app.getHttpServer()).delete('/v1/accounts/acct_1/plans/api');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('PATCH');
  });

  it('an unknown path stays a 404', async () => {
    expect((await ledger.http.trace('/v1/nothing-here')).status).toBe(404);
  });
});

describe('bodies', () => {
  it('a JSON body that is no object: 401 without a key, 400 with one', async () => {
    const anonymous = await request(ledger.app.getHttpServer()).post('/v1/accounts').set('content-type', 'application/json').send('""');
    expect(anonymous.status).toBe(401);
    const res = await ledger.http.post('/v1/accounts').set('content-type', 'application/json').send('null');
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([{ field: '$', message: 'expected an object' }]);
  });

  it('an instant in an ISO-8601 form the ledger cannot read is a 400, not a 500', async () => {
    for (const now of ['2026-02-01T00:00:00,5Z', '20260201T000000Z', '2026-032T00:00Z']) {
      const res = await ledger.http.put('/v1/simulation/clock').send({ now });
      expect(res.status).toBe(400);
      expect(res.body.details[0].field).toBe('now');
    }
  });

  it('an optional field given as null is refused, naming it', async () => {
    await ledger.http.post('/v1/accounts').send({ accountId: 'acct_null', name: 'Null Ltd' }).expect(201);
    const res = await ledger.http.post('/v1/accounts/acct_null/plans').send({ plan: 'api_pro', startsAt: null });
    expect(res.status).toBe(400);
    expect(res.body.details[0].field).toBe('startsAt');
  });
});

describe('the document', () => {
  const doc = async () => (await request(ledger.app.getHttpServer()).get('/docs/json')).body;

  it('declares what POST /v1/events answers, and no 201', async () => {
    const responses = (await doc()).paths['/v1/events'].post.responses;
    expect(Object.keys(responses).sort()).toEqual(['200', '400', '401', '403', '409', '413', '415', '429', '503']);
  });

  it('declares every path parameter with the schema its pipe enforces', async () => {
    const params = (await doc()).paths['/v1/accounts/{id}/plans/{wallet}'].patch.parameters;
    expect(params.map((p: { name: string }) => p.name)).toEqual(['id', 'wallet']);
    expect(params[0].schema.pattern).toBe('^[A-Za-z0-9_.:-]{1,100}$');
    expect(params[1].schema.enum).toEqual(['api', 'live_avatar']);
  });

  it('gives the validators’ rules to the fields', async () => {
    const { schemas } = (await doc()).components;
    expect(schemas.OpenAccountDto.additionalProperties).toBe(false);
    expect(schemas.OpenAccountDto.properties.name).toMatchObject({ maxLength: 200, minLength: 1 });
    expect(schemas.StartPlanDto.properties.startsAt.format).toBe('date-time');
  });
});
