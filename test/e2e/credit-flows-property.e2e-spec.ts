// Property (api.md "Accounts and reports"): over random histories (accounts on every plan, usage on
// time and late, holds, plans started and cancelled, the clock moved over months: grants, charges,
// expiries, forfeits, corrections, overage, uncovered usage), every total of
// GET /v1/reports/credit-flows, by day and by month, for every account, wallet and range of days,
// is the sum of the matching entries of GET /v1/accounts/{id}/entries; its CSV says the same.
// One service for all runs: each run opens its own accounts from where the clock stands, and the
// report over all accounts counts the earlier runs' accounts too (their entries are fetched).
import fc from 'fast-check';
import { CreditFlowFilter as Filter, csvItems, entriesOf, expectedFlows } from './credit-flow-sums';
import { Ledger, moveClock, postEvents, renderCompleted, startLedger, streamingEnded } from './support';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SEED = 20260105;
const NUM_RUNS = 12;

let ledger: Ledger;
/** Every account opened so far (all runs). */
const opened: string[] = [];
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(() => ledger?.close());

// ---- random histories ----

type Plan =
  | { plan: 'api_pro'; allowOverage: boolean }
  | { plan: 'api_scale'; autoRenew: boolean; allowOverage: boolean }
  | { plan: 'live_avatar'; autoRenew: boolean; allowOverage: boolean };
type UsageKind = 'unlimited' | 'avatar_iv' | 'translation' | 'api_stream' | 'live_full' | 'live_custom';
type Step =
  | { t: 'usage'; account: number; kind: UsageKind; durationMs: number; backMs: number }
  /** A record late enough to fall just before the first lots' expiry (30 days after the run's start), once that expiry is recorded. */
  | { t: 'late'; account: number; kind: UsageKind; durationMs: number; beforeMs: number }
  | { t: 'advance'; ms: number }
  | { t: 'plan'; account: number; plan: Plan }
  | { t: 'cancel'; account: number; wallet: 'api' | 'live_avatar' }
  | { t: 'hold'; account: number; durationMs: number; capture: boolean };

const planArb: fc.Arbitrary<Plan> = fc.oneof(
  fc.record({ plan: fc.constant('api_pro' as const), allowOverage: fc.boolean() }),
  fc.record({ plan: fc.constant('api_scale' as const), autoRenew: fc.boolean(), allowOverage: fc.boolean() }),
  fc.record({ plan: fc.constant('live_avatar' as const), autoRenew: fc.boolean(), allowOverage: fc.boolean() }),
);
const accountArb = fc.integer({ min: 0, max: 2 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      t: fc.constant('usage' as const),
      account: accountArb,
      kind: fc.constantFrom<UsageKind>('unlimited', 'avatar_iv', 'translation', 'api_stream', 'live_full', 'live_custom'),
      // mostly minutes; now and then up to 2 hours of video, 12 of streaming, enough to run a wallet dry
      durationMs: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 1_000, max: 3 * 60_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 2 * HOUR }) },
      ),
      // on time, or late: up to 40 days before the clock (a late record may draw on a lot whose expiry is recorded: a correction)
      backMs: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 40 * DAY }) }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('late' as const),
      account: accountArb,
      kind: fc.constantFrom<UsageKind>('unlimited', 'api_stream', 'live_custom'),
      durationMs: fc.integer({ min: 1_000, max: 60_000 }),
      beforeMs: fc.integer({ min: 1, max: 3 * DAY }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: HOUR, max: 20 * DAY }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('plan' as const), account: accountArb, plan: planArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('cancel' as const),
      account: accountArb,
      wallet: fc.constantFrom('api' as const, 'live_avatar' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('hold' as const),
      account: accountArb,
      durationMs: fc.integer({ min: 1_000, max: HOUR }),
      capture: fc.boolean(),
    }),
  },
);
const historyArb = fc.record({
  accounts: fc.array(fc.option(planArb, { nil: undefined }), { minLength: 1, maxLength: 3 }),
  steps: fc.array(stepArb, { minLength: 10, maxLength: 40 }),
  /** A last move of the clock, so that lots expire and periods end in most runs. */
  tailMs: fc.integer({ min: 0, max: 45 * DAY }),
  /** A range of days to ask for, as offsets from the run's first day. */
  range: fc.tuple(fc.integer({ min: -2, max: 40 }), fc.integer({ min: 1, max: 40 })),
});

const iso = (ms: number) => new Date(ms).toISOString();
const dayOf = (ms: number) => iso(ms).slice(0, 10);

const usageEvent = (subject: string, kind: UsageKind, durationMs: number, time: string, jobId?: string) => {
  switch (kind) {
    case 'unlimited':
      return renderCompleted({ subject, time, durationMs, jobId });
    case 'avatar_iv':
      return renderCompleted({ subject, time, durationMs, engine: 'avatar_iv', jobId });
    case 'translation':
      return renderCompleted({ subject, time, durationMs, product: 'video_translation', jobId });
    case 'api_stream':
      return streamingEnded({ subject, time, durationMs: durationMs * 6 });
    case 'live_full':
      return streamingEnded({ subject, time, durationMs: durationMs * 6, integration: 'live_avatar_full' });
    case 'live_custom':
      return streamingEnded({ subject, time, durationMs: durationMs * 6, integration: 'live_avatar_custom' });
  }
};

/** No answer of the service is a 5xx (a refusal, such as a plan already running, is part of a random history). */
const sane = (res: { status: number; body: unknown }, what: string) => {
  if (res.status >= 500) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
};

let run = 0;
type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

async function play(h: History): Promise<{ accounts: string[]; start: number }> {
  run++;
  const start = Date.parse((await ledger.http.get('/v1/simulation/clock')).body.now);
  let now = start;
  const accounts = h.accounts.map((_, i) => `acct_r${run}_${i}`);
  for (const [i, plan] of h.accounts.entries()) {
    sane(await ledger.http.post('/v1/accounts').send({ accountId: accounts[i], name: `Run ${run} account ${i}` }), 'open');
    opened.push(accounts[i]);
    if (plan) sane(await ledger.http.post(`/v1/accounts/${accounts[i]}/plans`).send(plan), 'plan');
  }
  const account = (n: number) => accounts[n % accounts.length];
  let holds = 0;
  for (const s of h.steps) {
    switch (s.t) {
      case 'usage': {
        const time = iso(Math.max(start + 1, now - s.backMs));
        sane(await postEvents(ledger, [usageEvent(account(s.account), s.kind, s.durationMs, time)]), 'usage');
        break;
      }
      case 'late': {
        const expiry = start + 30 * DAY;
        const time = iso(now > expiry ? expiry - s.beforeMs : now);
        sane(await postEvents(ledger, [usageEvent(account(s.account), s.kind, s.durationMs, time)]), 'late usage');
        break;
      }
      case 'advance':
        now += s.ms;
        await moveClock(ledger, iso(now));
        break;
      case 'plan':
        sane(await ledger.http.post(`/v1/accounts/${account(s.account)}/plans`).send(s.plan), 'plan');
        break;
      case 'cancel':
        sane(await ledger.http.post(`/v1/accounts/${account(s.account)}/plans/${s.wallet}/cancel`), 'cancel');
        break;
      case 'hold': {
        const jobId = `job_r${run}_${++holds}`;
        const placed = sane(
          await ledger.http.post('/v1/holds').send({
            accountId: account(s.account),
            holdKey: jobId,
            product: 'avatar_video',
            engine: 'unlimited',
            estimatedDurationMs: s.durationMs,
          }),
          'hold',
        );
        if (placed.status === 201 && s.capture) {
          sane(await postEvents(ledger, [usageEvent(account(s.account), 'unlimited', s.durationMs, iso(now), jobId)]), 'capture');
        }
        break;
      }
    }
  }
  now += h.tailMs;
  await moveClock(ledger, iso(now));
  return { accounts, start };
}

// ---- what the report must say: sums of the entries ----

it('every total of the credit-flow report is the sum of the matching entries', async () => {
  await fc.assert(
    fc.asyncProperty(historyArb, async (h) => {
      const { accounts, start } = await play(h);
      const all = (await Promise.all(opened.map((id) => entriesOf(ledger, id)))).flat();
      const from = dayOf(start + h.range[0] * DAY);
      const to = dayOf(start + (h.range[0] + h.range[1]) * DAY);
      const filters: Omit<Filter, 'groupBy'>[] = [
        {},
        { wallet: 'api' },
        { wallet: 'live_avatar' },
        { from, to },
        ...accounts.flatMap((accountId) => [{ accountId }, { accountId, wallet: 'api', from }, { accountId, wallet: 'live_avatar', to }]),
      ];
      for (const groupBy of ['month', 'day'] as const) {
        for (const filter of filters) {
          const f: Filter = { ...filter, groupBy };
          const res = await ledger.http.get('/v1/reports/credit-flows').query(f);
          expect(res.status).toBe(200);
          expect({ filter: f, items: res.body.items }).toEqual({ filter: f, items: expectedFlows(all, f) });
        }
      }
      // the CSV export with the same filters says the same
      for (const f of [{ groupBy: 'month' as const }, { accountId: accounts[0], groupBy: 'day' as const, from }]) {
        const csv = await ledger.http.get('/v1/exports/credit-flows.csv').query(f);
        expect(csv.status).toBe(200);
        expect(csv.headers['content-type']).toMatch(/^text\/csv/);
        expect(csvItems(csv.text, f)).toEqual(expectedFlows(all, f));
      }
    }),
    // seeded: the same histories on every run; not shrunk (endOnFailure): the runs share one service and its clock
    { numRuns: NUM_RUNS, seed: SEED, endOnFailure: true },
  );
  // the histories made every kind of entry, so every total was put to the test
  const kinds = new Map<string, number>();
  for (const e of (await Promise.all(opened.map((id) => entriesOf(ledger, id)))).flat()) kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
  expect([...kinds.keys()].sort()).toEqual(['charge', 'correction', 'expiry', 'forfeit', 'grant', 'overage', 'uncovered']);
}, 600_000);
