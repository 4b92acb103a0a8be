// Store errors seen over HTTP (issue 11): one the store raises for one record isolates that record
// (its neighbours recorded, it `rejected` as unrecordable); an unavailable store answers 503 and
// records nothing, and the same batch sent again later is recorded; a 500 logs no request data.
import { Logger } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '@ledger/event-store';
import { charges, Ledger, postEvents, proAccountAnHourOld, renderCompleted, startLedger } from './support';

let ledger: Ledger;
let store: EventStore;
beforeAll(async () => {
  ledger = await startLedger();
  store = ledger.app.get<EventStore>(EVENT_STORE);
});
afterAll(() => ledger?.close());
afterEach(() => jest.restoreAllMocks());

const givenProAccount = (accountId: string) => proAccountAnHourOld(ledger, accountId);

/** The store refuses (or fails) every append that carries one of these event ids. */
function failAppendsOf(ids: Set<string>, error: () => Error) {
  const real = store.append.bind(store);
  return jest.spyOn(store, 'append').mockImplementation(async (appends) => {
    if (appends.some((a) => a.events.some((e) => ids.has((e.metadata as any)?.event?.id)))) throw error();
    return real(appends);
  });
}

const pgError = (code: string, message: string) =>
  Object.assign(new Error(message), { code, severity: 'ERROR', detail: 'Key (id)=(customer secret) ...' });

it('a record the store refuses is rejected as unrecordable; the other events of the batch are recorded', async () => {
  const at = await givenProAccount('acct_refused');
  const events = Array.from({ length: 7 }, (_, i) => renderCompleted({ subject: 'acct_refused', time: at(10 + i), durationMs: 1_000 }));
  const spy = failAppendsOf(new Set([events[4].id]), () => pgError('54000', 'index row requires 12048 bytes, maximum size is 8191'));
  const res = await postEvents(ledger, events);
  expect(res.status).toBe(400);
  expect(res.body.results.map((r: any) => r.status)).toEqual([
    'accepted',
    'accepted',
    'accepted',
    'accepted',
    'rejected',
    'accepted',
    'accepted',
  ]);
  expect(res.body.details).toEqual([
    expect.objectContaining({ index: 4, id: events[4].id, errors: [expect.objectContaining({ field: '$', code: 'unrecordable' })] }),
  ]);
  expect(JSON.stringify(res.body)).not.toContain('customer secret');
  // bisected: a handful of appends, not one per event
  expect(spy.mock.calls.length).toBeLessThanOrEqual(8);
  spy.mockRestore();
  expect((await charges(ledger, 'acct_refused')).map((c) => c.usage!.id)).toEqual(events.filter((_, i) => i !== 4).map((e) => e.id));
});

it.each([
  ['a lost connection (ECONNRESET)', () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
  ['the server shutting down (57P01)', () => pgError('57P01', 'terminating connection due to administrator command')],
  ['pg\'s own "Connection terminated unexpectedly"', () => new Error('Connection terminated unexpectedly')],
])('an unavailable store (%s): 503, nothing recorded; the same batch later is recorded', async (_name, error) => {
  const accountId = `acct_down_${Math.random().toString(36).slice(2, 8)}`;
  const at = await givenProAccount(accountId);
  const events = [
    renderCompleted({ subject: accountId, time: at(10), durationMs: 1_000 }),
    renderCompleted({ subject: accountId, time: at(11), durationMs: 1_000 }),
  ];
  const spy = failAppendsOf(new Set(events.map((e) => e.id)), error);
  const down = await postEvents(ledger, events);
  expect(down.status).toBe(503);
  expect(down.body).toMatchObject({ error: 'store_unavailable' });
  spy.mockRestore();
  const again = await postEvents(ledger, events);
  expect(again.status).toBe(200);
  expect(again.body.results.map((r: any) => r.status)).toEqual(['accepted', 'accepted']);
  expect(await charges(ledger, accountId)).toHaveLength(2);
});

it('an unavailable store on a read route (balances) is a 503, not a 500', async () => {
  await givenProAccount('acct_read_down');
  jest.spyOn(store, 'readStream').mockRejectedValueOnce(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
  const res = await ledger.http.get('/v1/accounts/acct_read_down/balances');
  expect(res.status).toBe(503);
  expect((await ledger.http.get('/v1/accounts/acct_read_down/balances')).status).toBe(200);
});

it('a 500 logs the error class and code, never its message or detail (they quote customer data)', async () => {
  await givenProAccount('acct_500');
  const logged: string[] = [];
  jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
  jest.spyOn(store, 'readStream').mockRejectedValueOnce(pgError('22P02', 'invalid input syntax for type json: "Acme Ltd, card 4242"'));
  const res = await ledger.http.get('/v1/accounts/acct_500/balances');
  expect(res.status).toBe(500);
  expect(res.body).toEqual({ error: 'internal', message: 'internal error', details: [] });
  expect(logged.join('\n')).toContain('22P02');
  expect(logged.join('\n')).not.toMatch(/Acme|4242|customer secret/);
});
