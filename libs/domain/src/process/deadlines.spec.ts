// The deadline process manager, given/when/then: given an account's history (made by the account
// decider), when a deadline is due or an event is recorded, then these commands.
import fc from 'fast-check';
import { UsageKind } from '../catalog/catalog';
import { AccountCommand } from '../account/commands';
import { nextDeadline } from '../account/decide';
import {
  at,
  chargeUsage,
  given,
  Given,
  openAccount,
  Outcome,
  placeHold,
  recorded,
  releaseHold,
  renderFailed,
  startPlan,
} from '../account/spec-helpers';
import { foldAccount } from '../account/state';
import { addMs } from '../time/instant';
import { decideDeadlines, deadlineRowState, DeadlineState, foldDeadlines, initialDeadlineState } from './deadlines';

const ACCT = 'acct_pm';

/** These commands ran on the account (opened on 1 January); the manager's state is the fold of their events. */
const ran = (...cmds: AccountCommand[]) => {
  const history = recorded(openAccount(ACCT, '2026-01-01T00:00:00Z'), ...cmds);
  return { history, state: foldDeadlines(history) };
};

const due = (state: DeadlineState, now: string) =>
  decideDeadlines({ type: 'DeadlineDue', accountId: ACCT, dueAt: state.dueAt!, now: at(now) }, state);

describe('deadline process manager: a Pro account in January', () => {
  const pro = (...then: AccountCommand[]) => ran(startPlan('api_pro', '2026-01-01T00:00:00Z'), ...then);

  it('knows its next deadline: the lot expiry on 31 January, before the period end on 1 February', () => {
    const { state } = pro();
    expect(state.dueAt).toBe('2026-01-31T00:00:00.000Z');
  });

  it('commands nothing before the deadline', () => {
    expect(due(pro().state, '2026-01-30T23:59:59.999Z')).toEqual([]);
  });

  it('commands one Advance to the clock at the deadline, with a deterministic id', () => {
    expect(due(pro().state, '2026-01-31T00:00:00.000Z')).toEqual([
      {
        id: 'advance:acct_pm:2026-01-31T00:00:00.000Z',
        accountId: ACCT,
        command: { type: 'Advance', now: '2026-01-31T00:00:00.000Z' },
      },
    ]);
  });

  it('after the Advance is recorded, the next deadline is the period end, and a stale row commands nothing', () => {
    const { state } = pro({ type: 'Advance', now: at('2026-01-31T12:00:00Z') });
    expect(state.dueAt).toBe('2026-02-01T00:00:00.000Z');
    // the runner read the old row (31 January) just before the Advance landed
    expect(
      decideDeadlines({ type: 'DeadlineDue', accountId: ACCT, dueAt: at('2026-01-31T00:00:00Z'), now: at('2026-01-31T12:00:00Z') }, state),
    ).toEqual([]);
  });

  it('a lot burnt to nothing has no expiry: the next deadline is the period end', () => {
    // 100 credits: 200 minutes... of unlimited video = 400 blocks of 0.5 credit
    const { history, state } = pro(
      ...Array.from({ length: 10 }, (_, i) =>
        chargeUsage('avatar_video.unlimited', 20 * 30_000 - 1, `2026-01-0${2 + (i % 5)}T10:0${i}:00Z`, `u${i}`),
      ),
    );
    expect(foldAccount(history).wallets.api.lots.find((l) => l.lotId === 'api-l2')!.charged).toBe(100_000_000n);
    expect(state.dueAt).toBe('2026-02-01T00:00:00.000Z');
  });

  it('decides the same from the row alone (what the runner reads) as from the whole summary', () => {
    const { state } = pro();
    expect(
      decideDeadlines(
        { type: 'DeadlineDue', accountId: ACCT, dueAt: state.dueAt!, now: at('2026-02-03T00:00:00Z') },
        deadlineRowState(state.dueAt),
      ),
    ).toEqual(due(state, '2026-02-03T00:00:00Z'));
  });
});

describe('deadline process manager: events', () => {
  it('an event that leaves a deadline already past commands an Advance at once', () => {
    // given an account on api_free since 1 January, and the clock at 15 February
    const { history, state: before } = ran();
    // when a Pro plan is started back on 5 January (its lot expired on 4 February)
    const { events } = given(history)
      .when(startPlan('api_pro', '2026-02-15T00:00:00Z', { startsAt: '2026-01-05T00:00:00Z' }))
      .thenContains({ type: 'PeriodStarted', data: { reason: 'plan_started' } });
    let state = before;
    const commands = events.flatMap((event) => {
      const out = decideDeadlines({ type: 'AccountEventRecorded', accountId: ACCT, event, now: at('2026-02-15T00:00:00Z') }, state);
      state = foldDeadlines([event], state);
      return out;
    });
    // then (at least) one Advance to the clock
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.every((c) => c.command.type === 'Advance' && c.command.now === '2026-02-15T00:00:00.000Z')).toBe(true);
  });

  it('an ordinary charge commands nothing', () => {
    const { history, state } = ran(startPlan('api_pro', '2026-01-01T00:00:00Z'));
    const [charged] = given(history)
      .when(chargeUsage('avatar_video.unlimited', 30_000, '2026-01-02T00:00:00Z'))
      .then({ type: 'UsageCharged' }).events;
    expect(
      decideDeadlines({ type: 'AccountEventRecorded', accountId: ACCT, event: charged, now: at('2026-01-02T00:00:00Z') }, state),
    ).toEqual([]);
  });
});

// The summary is the account decider's own `nextDeadline`, folded small: the same instant after any history.
describe('deadline summary against the account decider', () => {
  const KINDS: UsageKind[] = [
    'avatar_video.unlimited',
    'avatar_video.avatar_iv',
    'video_translation',
    'streaming.api',
    'streaming.live_avatar_full',
  ];
  type Step =
    | { t: 'start'; plan: 'api_pro' | 'api_scale' | 'live_avatar'; autoRenew: boolean; allowOverage: boolean }
    | { t: 'cancel'; wallet: 'api' | 'live_avatar' }
    | { t: 'charge'; kind: UsageKind; minutes: number; backHours: number }
    | { t: 'advance' }
    | { t: 'hold'; key: number; minutes: number; ttlMin: number }
    | { t: 'end'; key: number; how: 'use' | 'fail' | 'release' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('start' as const),
        plan: fc.constantFrom('api_pro' as const, 'api_scale' as const, 'live_avatar' as const),
        autoRenew: fc.boolean(),
        allowOverage: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ t: fc.constant('cancel' as const), wallet: fc.constantFrom('api' as const, 'live_avatar' as const) }),
    },
    {
      weight: 8,
      arbitrary: fc.record({
        t: fc.constant('charge' as const),
        kind: fc.constantFrom(...KINDS),
        minutes: fc.integer({ min: 1, max: 600 }),
        backHours: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 24 * 40 })),
      }),
    },
    { weight: 2, arbitrary: fc.constant({ t: 'advance' as const }) },
    {
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant('hold' as const),
        key: fc.integer({ min: 0, max: 9 }),
        minutes: fc.integer({ min: 1, max: 20 }),
        ttlMin: fc.integer({ min: 1, max: 6000 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant('end' as const),
        key: fc.integer({ min: 0, max: 9 }),
        how: fc.constantFrom('use' as const, 'fail' as const, 'release' as const),
      }),
    },
  );

  it('gives the same next deadline as nextDeadline(state) after random histories (holds too)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 * 86_400_000 }), step), { maxLength: 80 }), (steps) => {
        let account: Given | Outcome = given(ran().history);
        let now = at('2026-01-01T00:00:00Z');
        let n = 0;
        for (const [dt, st] of steps) {
          now = addMs(now, dt);
          const cmd =
            st.t === 'start'
              ? {
                  type: 'StartPlan' as const,
                  plan: st.plan,
                  autoRenew: st.plan !== 'api_pro' && st.autoRenew,
                  allowOverage: st.allowOverage,
                  now,
                }
              : st.t === 'cancel'
                ? { type: 'CancelPlan' as const, wallet: st.wallet, now }
                : st.t === 'advance'
                  ? { type: 'Advance' as const, now }
                  : st.t === 'hold'
                    ? placeHold(`job_${st.key}`, 'avatar_video.unlimited', st.minutes * 60_000, now, { ttlMs: st.ttlMin * 60_000 })
                    : st.t === 'end' && st.how === 'use'
                      ? chargeUsage('avatar_video.unlimited', 60_000, now, `job_${st.key}`)
                      : st.t === 'end' && st.how === 'fail'
                        ? renderFailed(`job_${st.key}`, now)
                        : st.t === 'end'
                          ? releaseHold(`h${st.key + 1}.${ACCT}`, now)
                          : { ...chargeUsage(st.kind, st.minutes * 60_000, addMs(now, -st.backHours * 3_600_000), `c${n++}`), now };
          account = account.when(cmd); // a refusal records only what the clock owed
          expect(foldDeadlines(account.history, initialDeadlineState()).dueAt).toBe(nextDeadline(foldAccount(account.history))?.at);
        }
      }),
      { numRuns: 150, seed: 20260101 },
    );
  });
});
