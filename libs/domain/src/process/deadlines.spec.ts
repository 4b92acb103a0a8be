// The deadline process manager, given/when/then: given an account's history (made by the account
// decider), when a deadline is due or an event is recorded, then these commands.
import fc from 'fast-check';
import { UsageKind } from '../catalog/catalog';
import { isRejection } from '../account/commands';
import { nextDeadline } from '../account/decide';
import { AccountEvent } from '../account/events';
import { at, chargeCmd, open, Scenario } from '../account/scenario';
import { foldAccount } from '../account/state';
import { addMs } from '../time/instant';
import { decideDeadlines, deadlineRowState, DeadlineState, foldDeadlines, initialDeadlineState } from './deadlines';

const ACCT = 'acct_pm';

/** given: these commands ran on the account; the manager's state is the fold of their events. */
const given = (...cmds: Parameters<Scenario['given']>) => {
  const s = new Scenario().given(open(ACCT, '2026-01-01T00:00:00Z'), ...cmds);
  return { scenario: s, state: foldDeadlines(s.history) };
};

const due = (state: DeadlineState, now: string) => decideDeadlines({ type: 'DeadlineDue', accountId: ACCT, dueAt: state.dueAt!, now: at(now) }, state);

describe('deadline process manager: a Pro account in January', () => {
  const pro = () => given({ type: 'StartPlan', plan: 'api_pro', now: at('2026-01-01T00:00:00Z') });

  it('knows its next deadline: the lot expiry on 31 January, before the period end on 1 February', () => {
    const { state } = pro();
    expect(state.dueAt).toBe('2026-01-31T00:00:00.000Z');
  });

  it('commands nothing before the deadline', () => {
    expect(due(pro().state, '2026-01-30T23:59:59.999Z')).toEqual([]);
  });

  it('commands one Advance to the clock at the deadline, with a deterministic id', () => {
    expect(due(pro().state, '2026-01-31T00:00:00.000Z')).toEqual([{
      id: 'advance:acct_pm:2026-01-31T00:00:00.000Z', accountId: ACCT, command: { type: 'Advance', now: '2026-01-31T00:00:00.000Z' },
    }]);
  });

  it('after the Advance is recorded, the next deadline is the period end, and a stale row commands nothing', () => {
    const { scenario } = pro();
    scenario.given({ type: 'Advance', now: at('2026-01-31T12:00:00Z') });
    const state = foldDeadlines(scenario.history);
    expect(state.dueAt).toBe('2026-02-01T00:00:00.000Z');
    // the runner read the old row (31 January) just before the Advance landed
    expect(decideDeadlines({ type: 'DeadlineDue', accountId: ACCT, dueAt: at('2026-01-31T00:00:00Z'), now: at('2026-01-31T12:00:00Z') }, state)).toEqual([]);
  });

  it('a lot burnt to nothing has no expiry: the next deadline is the period end', () => {
    const { scenario } = pro();
    // 100 credits: 200 minutes... of unlimited video = 400 blocks of 0.5 credit
    for (let i = 0; i < 10; i++) scenario.given(chargeCmd('avatar_video.unlimited', 20 * 30_000 - 1, `2026-01-0${2 + (i % 5)}T10:0${i}:00Z`, `u${i}`));
    expect(foldAccount(scenario.history).wallets.api.lots.find((l) => l.lotId === 'api-l2')!.charged).toBe(100_000_000n);
    expect(foldDeadlines(scenario.history).dueAt).toBe('2026-02-01T00:00:00.000Z');
  });

  it('decides the same from the row alone (what the runner reads) as from the whole summary', () => {
    const { state } = pro();
    expect(decideDeadlines({ type: 'DeadlineDue', accountId: ACCT, dueAt: state.dueAt!, now: at('2026-02-03T00:00:00Z') }, deadlineRowState(state.dueAt)))
      .toEqual(due(state, '2026-02-03T00:00:00Z'));
  });
});

describe('deadline process manager: events', () => {
  it('an event that leaves a deadline already past commands an Advance at once', () => {
    // given an account on api_free since 1 January, and the clock at 15 February
    const s = new Scenario().given(open(ACCT, '2026-01-01T00:00:00Z'));
    const before = foldDeadlines(s.history);
    // when a Pro plan is started back on 5 January (its lot expired on 4 February)
    const events = s.when({ type: 'StartPlan', plan: 'api_pro', startsAt: at('2026-01-05T00:00:00Z'), now: at('2026-02-15T00:00:00Z') });
    if (isRejection(events)) throw new Error(events.message);
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
    const { scenario, state } = given({ type: 'StartPlan', plan: 'api_pro', now: at('2026-01-01T00:00:00Z') });
    const [charged] = scenario.when(chargeCmd('avatar_video.unlimited', 30_000, '2026-01-02T00:00:00Z')) as AccountEvent[];
    expect(decideDeadlines({ type: 'AccountEventRecorded', accountId: ACCT, event: charged, now: at('2026-01-02T00:00:00Z') }, state)).toEqual([]);
  });
});

// The summary is the account decider's own `nextDeadline`, folded small: the same instant after any history.
describe('deadline summary against the account decider', () => {
  const KINDS: UsageKind[] = ['avatar_video.unlimited', 'avatar_video.avatar_iv', 'video_translation', 'streaming.api', 'streaming.live_avatar_full'];
  type Step =
    | { t: 'start'; plan: 'api_pro' | 'api_scale' | 'live_avatar'; autoRenew: boolean; allowOverage: boolean }
    | { t: 'cancel'; wallet: 'api' | 'live_avatar' }
    | { t: 'charge'; kind: UsageKind; minutes: number; backHours: number }
    | { t: 'advance' };
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 1, arbitrary: fc.record({ t: fc.constant('start' as const), plan: fc.constantFrom('api_pro' as const, 'api_scale' as const, 'live_avatar' as const), autoRenew: fc.boolean(), allowOverage: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel' as const), wallet: fc.constantFrom('api' as const, 'live_avatar' as const) }) },
    { weight: 8, arbitrary: fc.record({ t: fc.constant('charge' as const), kind: fc.constantFrom(...KINDS), minutes: fc.integer({ min: 1, max: 600 }), backHours: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 24 * 40 })) }) },
    { weight: 2, arbitrary: fc.constant({ t: 'advance' as const }) },
  );

  it('gives the same next deadline as nextDeadline(state) after random histories', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 * 86_400_000 }), step), { maxLength: 80 }), (steps) => {
      const s = new Scenario().given(open(ACCT, '2026-01-01T00:00:00Z'));
      let now = at('2026-01-01T00:00:00Z');
      let n = 0;
      for (const [dt, st] of steps) {
        now = addMs(now, dt);
        const cmd = st.t === 'start' ? { type: 'StartPlan' as const, plan: st.plan, autoRenew: st.plan !== 'api_pro' && st.autoRenew, allowOverage: st.allowOverage, now }
          : st.t === 'cancel' ? { type: 'CancelPlan' as const, wallet: st.wallet, now }
          : st.t === 'advance' ? { type: 'Advance' as const, now }
          : { ...chargeCmd(st.kind, st.minutes * 60_000, addMs(now, -st.backHours * 3_600_000), `c${n++}`), now };
        s.when(cmd); // refusals change nothing
        expect(foldDeadlines(s.history, initialDeadlineState()).dueAt).toBe(nextDeadline(foldAccount(s.history))?.at);
      }
    }), { numRuns: 150, seed: 20260101 });
  });
});
