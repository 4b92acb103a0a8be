// Holds as a specification: a hold reserves the estimate's price until the work's usage
// captures it, a failed render or a release ends it, or its time runs out; each happens once.
import fc from 'fast-check';
import { formatCredits } from '../credits/credits';
import { addMs } from '../time/instant';
import { balanceAt } from './balance';
import { AccountCommand } from './commands';
import { decide, nextDeadline } from './decide';
import { AccountEvent } from './events';
import { heldAt } from './holds';
import { lotClosesAt } from './lots';
import {
  advance,
  at,
  chargeUsage,
  credits,
  ctx,
  given,
  ofType,
  openAccount,
  placeHold,
  recorded,
  releaseHold,
  renderFailed,
  startPlan,
} from './spec-helpers';
import { AccountState, evolve, foldAccount, lotRemaining } from './state';

const JAN_1 = '2026-01-01T00:00:00Z';
const T = '2026-01-02T10:00:00Z';
const LATER = '2026-01-02T10:20:00Z';
/** An unlimited video estimated at n credits (2n started blocks of 30 s, at 0.5 each); api_free takes up to 3 minutes. */
const cr = (n: number) => (60 * n - 1) * 1000;
const ONE_CREDIT_MS = cr(1);
const free = recorded(openAccount('acct_h', JAN_1)); // api_free: 10 credits until 31 January
const api = (history: readonly AccountEvent[], when: string) => balanceAt('acct_h', history, at(when)).wallets.api;

describe('placing a hold', () => {
  it('holds the estimate priced with the catalog of its period, until ttl', () => {
    const { history } = given(free)
      .when(placeHold('job_1', 'avatar_video.unlimited', cr(3), T, { ttlMs: 600_000 }))
      .then({
        type: 'HoldPlaced',
        data: {
          holdId: 'h1.acct_h',
          holdKey: 'job_1',
          wallet: 'api',
          periodId: 'api-p1',
          credits: credits('3'),
          expiresAt: at('2026-01-02T10:10:00Z'),
          at: at(T),
        },
      });
    expect(formatCredits(api(history, T).held)).toBe('3');
    expect(formatCredits(api(history, T).available)).toBe('7');
    expect(formatCredits(api(history, '2026-01-02T09:59:59Z').held)).toBe('0'); // asOf before: nothing held
  });

  it('is the same hold, with nothing new, for the same holdKey and request', () => {
    given(free)
      .when(placeHold('job_1', 'avatar_video.unlimited', ONE_CREDIT_MS, T))
      .thenContains({ type: 'HoldPlaced' })
      .when(placeHold('job_1', 'avatar_video.unlimited', ONE_CREDIT_MS, LATER))
      .then();
  });

  it('is a conflict for the same holdKey with another request', () => {
    given(free)
      .when(placeHold('job_1', 'avatar_video.unlimited', ONE_CREDIT_MS, T))
      .thenContains({ type: 'HoldPlaced' })
      .when(placeHold('job_1', 'avatar_video.unlimited', cr(2), T))
      .thenRejects({ error: 'conflict', field: 'holdKey' });
  });

  it('is refused with the reasons of an authorization', () => {
    given(free)
      .when(placeHold('job_2', 'avatar_video.unlimited', 200_000, T, { resolution: '1080p' }))
      .thenRejects({ error: 'hold_refused', reasons: ['video_too_long', 'resolution_above_plan'] });
    given(free)
      .when(placeHold('job_3', 'streaming.live_avatar_full', 60_000, T))
      .thenRejects({ error: 'hold_refused', reasons: ['no_plan'] });
  });

  it('never reserves credits another hold holds', () => {
    const nine = given(free)
      .when(placeHold('job_1', 'avatar_video.unlimited', cr(3), T))
      .thenContains({ type: 'HoldPlaced' })
      .when(placeHold('job_2', 'avatar_video.unlimited', cr(3), T))
      .thenContains({ type: 'HoldPlaced' })
      .when(placeHold('job_3', 'avatar_video.unlimited', cr(3), T))
      .thenContains({ type: 'HoldPlaced' });
    nine
      .when(placeHold('job_4', 'avatar_video.unlimited', cr(2), T))
      .thenRejects({ error: 'hold_refused', reasons: ['insufficient_credits'] });
    const ten = nine.when(placeHold('job_4', 'avatar_video.unlimited', cr(1), T)).thenContains({ type: 'HoldPlaced' });
    expect(formatCredits(api(ten.history, T).available)).toBe('0');
    expect(formatCredits(api(ten.history, T).held)).toBe('10');
  });

  it('counts only credits that stay spendable until it expires (a lot expiring under it does not)', () => {
    const beforeExpiry = '2026-01-30T23:30:00Z'; // the free lot expires at 2026-01-31T00:00Z
    given(free)
      .when(placeHold('job_1', 'avatar_video.unlimited', ONE_CREDIT_MS, beforeExpiry, { ttlMs: 3_600_000 }))
      .thenRejects({ error: 'hold_refused', reasons: ['insufficient_credits'] });
    given(free)
      .when(placeHold('job_1', 'avatar_video.unlimited', ONE_CREDIT_MS, beforeExpiry, { ttlMs: 30 * 60_000 }))
      .thenContains({ type: 'HoldPlaced' });
  });

  it('with overage allowed, is granted beyond the balance', () => {
    const pro = recorded(openAccount('acct_h', JAN_1), startPlan('api_pro', JAN_1, { allowOverage: true }));
    let outcome = given(pro)
      .when(placeHold('job_0', 'avatar_video.unlimited', cr(30), T))
      .thenContains({ type: 'HoldPlaced', data: { credits: credits('30') } });
    for (const k of [1, 2, 3])
      outcome = outcome.when(placeHold(`job_${k}`, 'avatar_video.unlimited', cr(30), T)).thenContains({ type: 'HoldPlaced' });
    expect(formatCredits(api(outcome.history, T).available)).toBe('0');
    expect(formatCredits(api(outcome.history, T).held)).toBe('120');
  });
});

describe('a hold ends once', () => {
  const held = given(free)
    .when(placeHold('job_1', 'avatar_video.unlimited', cr(3), T))
    .thenContains({ type: 'HoldPlaced' });

  it('is captured by the usage of its key, charged at the real price', () => {
    const { history } = held
      .when(chargeUsage('avatar_video.unlimited', cr(5), LATER, 'job_1'))
      .thenContains(
        { type: 'UsageCharged', data: { priced: expect.objectContaining({ credits: credits('5') }), uncovered: 0n } },
        { type: 'HoldCaptured', data: { holdId: 'h1.acct_h', holdKey: 'job_1', at: at(LATER) } },
      );
    expect(formatCredits(api(history, LATER).held)).toBe('0');
    expect(formatCredits(api(history, LATER).available)).toBe('5');
    // Redelivered (another event of the same job): charged as any usage, the hold stays captured.
    held
      .when(chargeUsage('avatar_video.unlimited', ONE_CREDIT_MS, LATER, 'job_1'))
      .thenContains({ type: 'HoldCaptured' })
      .when(chargeUsage('avatar_video.unlimited', ONE_CREDIT_MS, LATER, 'job_1'))
      .thenRecordsNo('HoldCaptured', 'HoldReleased', 'HoldExpired');
  });

  it('is released by render.failed of its job, once', () => {
    held
      .when(renderFailed('job_1', LATER))
      .then({ type: 'RenderFailed' }, { type: 'HoldReleased', data: { holdId: 'h1.acct_h', reason: 'render_failed', at: at(LATER) } })
      .when(renderFailed('job_1', LATER))
      .then({ type: 'RenderFailed' });
  });

  it('is released by the release command; again changes nothing; a captured hold is a conflict', () => {
    held
      .when(releaseHold('h1.acct_h', LATER))
      .then({ type: 'HoldReleased', data: { reason: 'released', at: at(LATER) } })
      .when(releaseHold('h1.acct_h', LATER))
      .then();
    held
      .when(chargeUsage('avatar_video.unlimited', ONE_CREDIT_MS, LATER, 'job_1'))
      .thenContains({ type: 'HoldCaptured' })
      .when(releaseHold('h1.acct_h', LATER))
      .thenRejects('conflict');
    held.when(releaseHold('h9.acct_h', LATER)).thenRejects('hold_not_found');
  });

  it('expires at expiresAt, recorded by the clock catching up; later usage is still charged', () => {
    const expired = held
      .when(advance('2026-01-02T12:00:00Z'))
      .then({ type: 'HoldExpired', data: { holdId: 'h1.acct_h', at: at('2026-01-02T11:00:00Z') } });
    expect(formatCredits(api(held.history, '2026-01-02T11:00:00Z').held)).toBe('0'); // by time, before it is recorded
    expired
      .when(chargeUsage('avatar_video.unlimited', ONE_CREDIT_MS, '2026-01-02T12:00:00Z', 'job_1'))
      .thenContains({ type: 'UsageCharged' })
      .thenRecordsNo('HoldCaptured');
    expired.when(advance('2026-01-02T13:00:00Z')).then();
  });

  it('is the next deadline of the account while it is open', () => {
    expect(nextDeadline(held.state)).toEqual(
      expect.objectContaining({ kind: 'hold_expiry', id: 'h1.acct_h', at: at('2026-01-02T11:00:00Z') }),
    );
  });

  it('captured after its period ended: the usage is charged in the period of its own time', () => {
    const feb = recorded(openAccount('acct_h', '2026-02-01T00:00:00Z'), startPlan('api_pro', '2026-02-01T00:00:00Z')); // lot until 3 March
    given(feb)
      .when(placeHold('job_late', 'avatar_video.unlimited', cr(3), '2026-02-28T23:30:00Z'))
      .thenContains({ type: 'HoldPlaced', data: { periodId: 'api-p2' } })
      .when(chargeUsage('avatar_video.unlimited', cr(3), '2026-03-01T00:10:00Z', 'job_late'))
      .thenContains(
        { type: 'PeriodEnded', data: { periodId: 'api-p2' } },
        { type: 'UsageCharged', data: { periodId: 'api-p3', draws: [{ lotId: 'api-l2', credits: credits('3') }] } },
        { type: 'HoldCaptured', data: { holdKey: 'job_late', at: at('2026-03-01T00:10:00Z') } },
      );
  });

  it('keeps what other holds hold from usage with no hold', () => {
    given(free)
      .when(placeHold('job_1', 'avatar_video.unlimited', cr(3), T))
      .thenContains({ type: 'HoldPlaced' })
      .when(placeHold('job_2', 'avatar_video.unlimited', cr(3), T))
      .thenContains({ type: 'HoldPlaced' })
      .when(placeHold('job_3', 'avatar_video.unlimited', cr(3), T))
      .thenContains({ type: 'HoldPlaced' })
      .when(chargeUsage('avatar_video.unlimited', cr(2), LATER, 'job_other'))
      .thenContains({ type: 'UsageCharged', data: { draws: [{ lotId: 'api-l1', credits: credits('1') }], uncovered: credits('1') } });
  });
});

// Random interleavings of holds, captures, releases, expiries and usage on one api_free account.
type Step =
  | { t: 'hold'; key: number; blocks: number; ttlMin: number }
  | { t: 'use'; key: number; blocks: number }
  | { t: 'fail'; key: number }
  | { t: 'release'; n: number }
  | { t: 'wait'; min: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    t: fc.constant('hold' as const),
    key: fc.integer({ min: 0, max: 12 }),
    blocks: fc.integer({ min: 1, max: 6 }),
    ttlMin: fc.integer({ min: 1, max: 180 }),
  }),
  fc.record({ t: fc.constant('use' as const), key: fc.integer({ min: 0, max: 15 }), blocks: fc.integer({ min: 1, max: 10 }) }),
  fc.record({ t: fc.constant('fail' as const), key: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ t: fc.constant('release' as const), n: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ t: fc.constant('wait' as const), min: fc.integer({ min: 1, max: 24 * 60 }) }),
);

const spendableAt = (s: AccountState, when: string) =>
  s.wallets.api.lots.filter((l) => l.issuedAt <= when && when < lotClosesAt(l)).reduce((sum, l) => sum + lotRemaining(l), 0n);

describe('holds, whatever the interleaving', () => {
  it('hold credits never negative nor above what is spendable, and every hold ends exactly once', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 60 }), fc.boolean(), (steps, pro) => {
        let history: AccountEvent[] = pro ? recorded(openAccount('acct_h', JAN_1), startPlan('api_pro', JAN_1)) : [...free];
        let state = foldAccount(history);
        let now = '2026-01-20T00:00:00.000Z';
        let n = 0;
        for (const step of steps) {
          const cmd: AccountCommand =
            step.t === 'hold'
              ? placeHold(`job_${step.key}`, 'avatar_video.unlimited', step.blocks * 30_000 - 1_000, now, { ttlMs: step.ttlMin * 60_000 })
              : step.t === 'use'
                ? chargeUsage('avatar_video.unlimited', step.blocks * 30_000 - 1_000, now, `job_${step.key}`)
                : step.t === 'fail'
                  ? renderFailed(`job_${step.key}`, now)
                  : step.t === 'release'
                    ? releaseHold(`h${step.n}.acct_h`, now)
                    : advance((now = addMs(now, step.min * 60_000)));
          if (cmd.type === 'ChargeUsage') cmd.usage.ref.id = `u${n++}`; // each usage record its own
          const d = decide(cmd, state, ctx);
          for (const e of d.events) state = evolve(state, e);
          history = [...history, ...d.events];
          const held = heldAt(state, 'api', now);
          expect(held >= 0n).toBe(true);
          expect(held <= spendableAt(state, now)).toBe(true);
          expect(formatCredits(balanceAt('acct_h', history, now).wallets.api.held)).toBe(formatCredits(held));
        }
        state = foldAccount(history);
        const end = addMs(now, 400 * 24 * 3_600_000);
        const last = decide(advance(end), state, ctx);
        history = [...history, ...last.events];
        const placed = ofType(history, 'HoldPlaced').map((e) => e.data.holdId);
        const ended = [...ofType(history, 'HoldCaptured'), ...ofType(history, 'HoldReleased'), ...ofType(history, 'HoldExpired')].map(
          (e) => e.data.holdId,
        );
        expect([...ended].sort()).toEqual([...placed].sort()); // each placed hold ended, none twice
        expect(new Set(ofType(history, 'HoldPlaced').map((e) => e.data.holdKey)).size).toBe(placed.length);
      }),
      { numRuns: 150 },
    );
  });
});
