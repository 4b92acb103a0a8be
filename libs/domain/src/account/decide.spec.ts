// The account decider as a specification: given this history, when this command, then these
// events are recorded (or this rejection, with what the clock owed all the same).
import { DEFAULT_BOOK } from '../catalog/catalog';
import { formatCredits } from '../credits/credits';
import { authorize } from './authorize';
import { balanceAt } from './balance';
import { AccountEvent } from './events';
import {
  advance,
  at,
  cancelPlan,
  changePlanSettings,
  chargeUsage,
  credits,
  given,
  Given,
  ofType,
  openAccount,
  Outcome,
  recorded,
  startPlan,
} from './spec-helpers';

/** The api wallet's balance as the history stood at `when`. */
const api = (history: readonly AccountEvent[], when: string) => {
  const opened = ofType(history, 'AccountOpened')[0];
  return balanceAt(opened.data.accountId, history, at(when)).wallets.api;
};
const available = (history: readonly AccountEvent[], when: string) => formatCredits(api(history, when).available);

const JAN_1 = '2026-01-01T00:00:00Z';

describe('an account opens on api_free', () => {
  it('grants 10 free credits that expire 30 days later, with no invoice', () => {
    given()
      .when(openAccount('acct_f', JAN_1))
      .then(
        { type: 'AccountOpened', data: { accountId: 'acct_f', at: at(JAN_1) } },
        {
          type: 'PeriodStarted',
          data: { wallet: 'api', periodId: 'api-p1', reason: 'opened', startsAt: at(JAN_1), endsAt: at('2026-02-01T00:00:00Z') },
        },
        { type: 'CreditsGranted', data: { wallet: 'api', lotId: 'api-l1', credits: credits('10'), expiresAt: at('2026-01-31T00:00:00Z') } },
      );
  });
});

describe('a Pro account in January', () => {
  const opened = recorded(openAccount('acct_pro', JAN_1));
  const pro = recorded(openAccount('acct_pro', JAN_1), startPlan('api_pro', JAN_1));

  it('is invoiced $99 and granted 100 credits; the free grant is forfeited', () => {
    const { history } = given(opened)
      .when(startPlan('api_pro', JAN_1))
      .then(
        { type: 'PeriodEnded', data: { periodId: 'api-p1', reason: 'replaced' } },
        { type: 'LotForfeited', data: { lotId: 'api-l1', credits: credits('10'), reason: 'replaced_free' } },
        { type: 'PeriodStarted', data: { periodId: 'api-p2', reason: 'plan_started' } },
        { type: 'CreditsGranted', data: { lotId: 'api-l2', credits: credits('100') } },
        { type: 'InvoiceIssued', data: { invoice: expect.objectContaining({ kind: 'plan', totalCents: 9900n }) } },
      );
    expect(available(history, '2026-01-01T00:00:01Z')).toBe('100');
  });

  it('charges a 1:43 unlimited video 2 credits', () => {
    const { history } = given(pro)
      .when(chargeUsage('avatar_video.unlimited', 103_000, '2026-01-05T10:00:00Z'))
      .then({
        type: 'UsageCharged',
        data: {
          priced: expect.objectContaining({ credits: credits('2') }),
          draws: [{ lotId: 'api-l2', credits: credits('2') }],
          overage: 0n,
          uncovered: 0n,
        },
      });
    expect(available(history, '2026-01-05T10:00:00Z')).toBe('98');
  });

  it("loses what is left of January's grant on 31 January, a day before February's grant", () => {
    const gap = given(pro)
      .when(chargeUsage('avatar_video.unlimited', 103_000, '2026-01-05T10:00:00Z'))
      .thenContains({ type: 'UsageCharged' })
      .when(advance('2026-01-31T12:00:00Z'))
      .then({ type: 'LotExpired', data: { lotId: 'api-l2', credits: credits('98'), at: at('2026-01-31T00:00:00Z') } });
    expect(available(gap.history, '2026-01-31T12:00:00Z')).toBe('0');
    const february = gap
      .when(advance('2026-02-01T00:00:00Z'))
      .then(
        { type: 'PeriodEnded', data: { periodId: 'api-p2', reason: 'boundary', at: at('2026-02-01T00:00:00Z') } },
        { type: 'PeriodStarted', data: { periodId: 'api-p3', reason: 'boundary' } },
        { type: 'CreditsGranted', data: { lotId: 'api-l3', credits: credits('100') } },
        { type: 'InvoiceIssued', data: { invoice: expect.objectContaining({ kind: 'plan', totalCents: 9900n }) } },
      );
    expect(available(february.history, '2026-02-01T00:00:00Z')).toBe('100');
    expect(ofType(february.history, 'InvoiceIssued')).toHaveLength(2);
  });

  it('shows the lot unspendable after its expiry even before any timer recorded it', () => {
    expect(ofType(pro, 'LotExpired')).toEqual([]);
    expect(available(pro, '2026-01-31T00:00:00Z')).toBe('0');
    expect(available(pro, '2026-01-30T23:59:59.999Z')).toBe('100');
  });

  it('records usage beyond the credits as uncovered and exhausts the wallet (overage off)', () => {
    // 30 min of Avatar IV = 61 blocks x 3 = 183 credits
    const { history } = given(pro)
      .when(chargeUsage('avatar_video.avatar_iv', 1_800_000, '2026-01-10T00:00:00Z'))
      .then({
        type: 'UsageCharged',
        data: {
          priced: expect.objectContaining({ credits: credits('183') }),
          draws: [{ lotId: 'api-l2', credits: credits('100') }],
          overage: 0n,
          uncovered: credits('83'),
        },
      });
    expect(api(history, '2026-01-10T00:00:00Z').exhausted).toBe(true);
  });

  it('flags a translation on Pro for review, and still charges it', () => {
    given(pro)
      .when(chargeUsage('video_translation', 60_000, '2026-01-03T00:00:00Z'))
      .then({
        type: 'UsageCharged',
        data: { priced: expect.objectContaining({ credits: credits('4.5') }), flags: ['feature_not_in_plan'] },
      });
  });

  it('refuses a second paid plan on the same wallet', () => {
    given(pro).when(startPlan('api_scale', '2026-01-02T00:00:00Z')).thenRejects('plan_active');
  });

  it('on cancellation returns to api_free and keeps the Pro credits until they expire', () => {
    const { history } = given(pro)
      .when(cancelPlan('api', '2026-01-10T00:00:00Z'))
      .then(
        { type: 'PeriodEnded', data: { periodId: 'api-p2', reason: 'cancelled' } },
        { type: 'PlanCancelled', data: { wallet: 'api', plan: 'api_pro' } },
        { type: 'PeriodStarted', data: { periodId: 'api-p3', reason: 'free_resumed' } },
        { type: 'CreditsGranted', data: { lotId: 'api-l3', credits: credits('10') } },
      );
    expect(api(history, '2026-01-10T00:00:00Z').plan).toBe('api_free');
    expect(available(history, '2026-01-10T00:00:00Z')).toBe('110');
  });

  it("a new paid plan after cancellation forfeits only the free grant, not the cancelled plan's credits", () => {
    // Found by invariants.spec.ts: starting a plan forfeited every lot still open, as if all were free.
    const { history } = given(pro)
      .when(cancelPlan('api', '2026-01-10T00:00:00Z'))
      .thenContains({ type: 'PlanCancelled' })
      .when(startPlan('api_scale', '2026-01-11T00:00:00Z'))
      .then(
        { type: 'PeriodEnded', data: { periodId: 'api-p3', reason: 'replaced' } },
        { type: 'LotForfeited', data: { lotId: 'api-l3', credits: credits('10'), reason: 'replaced_free' } },
        { type: 'PeriodStarted', data: { periodId: 'api-p4', reason: 'plan_started' } },
        { type: 'CreditsGranted', data: { lotId: 'api-l4', credits: credits('660') } },
        { type: 'InvoiceIssued', data: { invoice: expect.objectContaining({ kind: 'plan', plan: 'api_scale' }) } },
      );
    expect(available(history, '2026-01-11T00:00:00Z')).toBe('760');
  });
});

describe('a refused command still records what the clock owed', () => {
  const pro = recorded(openAccount('acct_pro', JAN_1), startPlan('api_pro', JAN_1));

  it('a plan change refused after a lot expired: the expiry is recorded, and recorded once', () => {
    const refused = given(pro)
      .when(changePlanSettings('api', '2026-01-31T12:00:00Z', { autoRenew: true }))
      .thenRejects(
        { error: 'auto_renew_not_allowed', field: 'autoRenew' },
        { type: 'LotExpired', data: { lotId: 'api-l2', credits: credits('100'), at: at('2026-01-31T00:00:00Z') } },
      );
    expect(refused.state.wallets.api.lots.find((l) => l.lotId === 'api-l2')!.closure).toEqual({
      kind: 'expiry',
      at: at('2026-01-31T00:00:00Z'),
    });
    // The timer that comes next finds nothing left to do.
    refused.when(advance('2026-01-31T12:00:00Z')).then();
  });

  it('a usage record refused after a period ended: the expiry, the period end and the next period are recorded', () => {
    given(recorded(openAccount('acct_f', JAN_1)))
      .when({ ...chargeUsage('avatar_video.unlimited', 10_000, '2025-12-31T00:00:00Z'), now: at('2026-02-05T00:00:00Z') })
      .thenRejects(
        { error: 'invalid', field: 'time' },
        { type: 'LotExpired', data: { lotId: 'api-l1', credits: credits('10'), at: at('2026-01-31T00:00:00Z') } },
        { type: 'PeriodEnded', data: { periodId: 'api-p1', reason: 'boundary', at: at('2026-02-01T00:00:00Z') } },
        { type: 'PeriodStarted', data: { periodId: 'api-p2', reason: 'boundary', startsAt: at('2026-02-01T00:00:00Z') } },
        { type: 'CreditsGranted', data: { lotId: 'api-l2', credits: credits('10') } },
      );
  });
});

describe('a late usage record', () => {
  it('draws from a lot that was spendable at its time, correcting the recorded expiry', () => {
    const { history } = given(recorded(openAccount('acct_late', JAN_1)))
      .when(advance('2026-02-05T00:00:00Z'))
      .thenContains({ type: 'LotExpired', data: { lotId: 'api-l1', credits: credits('10') } })
      .when(chargeUsage('avatar_video.unlimited', 10_000, '2026-01-20T00:00:00Z'))
      .then(
        { type: 'UsageCharged', data: { draws: [{ lotId: 'api-l1', credits: credits('0.5') }] } },
        { type: 'LotClosureCorrected', data: { lotId: 'api-l1', closure: 'expiry', credits: credits('0.5') } },
      );
    expect(available(history, '2026-01-20T00:00:00Z')).toBe('9.5');
  });

  it('gives the same history whether or not a timer ran before it arrived (no renewal of a period already over)', () => {
    // Found by invariants.spec.ts: a late record charged without catching up to the ledger's clock
    // renewed a period whose end had passed, but only when no Advance had run in between.
    const MAR_1 = '2026-03-01T00:00:00Z';
    const history = (timerRan: boolean) =>
      recorded(
        openAccount('acct_tick', MAR_1),
        startPlan('api_scale', MAR_1, { autoRenew: true }),
        ...[20, 21, 22, 23, 24].map((day) => chargeUsage('avatar_video.avatar_iv', 1_000_000, `2026-03-${day}T00:00:00Z`)), // 5 x 102 = 510
        ...(timerRan ? [advance('2026-04-05T00:00:00Z')] : []),
        // Arrives on 5 April for 25 March: 100.5 credits, past 90 % of the March grant.
        { ...chargeUsage('avatar_video.unlimited', 100 * 60_000, '2026-03-25T00:00:00Z'), now: at('2026-04-05T00:00:00Z') },
      );
    for (const timerRan of [false, true]) {
      const h = history(timerRan);
      expect(ofType(h, 'PeriodStarted').map((e) => [e.data.reason, e.data.startsAt])).toEqual([
        ['opened', '2026-03-01T00:00:00.000Z'],
        ['plan_started', '2026-03-01T00:00:00.000Z'],
        ['boundary', '2026-04-01T00:00:00.000Z'],
      ]);
      expect(available(h, '2026-03-26T00:00:00Z')).toBe('49.5');
    }
  });
});

describe('LiveAvatar with overage', () => {
  it('invoices the overage once when the period ends, one line per usage kind at $0.10 a credit', () => {
    const MAR_1 = '2026-03-01T00:00:00Z';
    const april = given(
      recorded(
        openAccount('acct_live', MAR_1),
        startPlan('live_avatar', MAR_1, { allowOverage: true }),
        chargeUsage('streaming.live_avatar_full', 520 * 60_000, '2026-03-10T00:00:00Z'), // 1040 credits
        chargeUsage('streaming.live_avatar_custom', 10 * 60_000 + 30_000, '2026-03-11T00:00:00Z'), // 10.5 credits
      ),
    )
      .when(advance('2026-04-01T00:00:00Z'))
      .thenContains(
        { type: 'PeriodEnded', data: { wallet: 'live_avatar', reason: 'boundary' } },
        {
          type: 'InvoiceIssued',
          data: {
            invoice: expect.objectContaining({
              kind: 'overage',
              wallet: 'live_avatar',
              totalCents: 505n,
              lines: [
                expect.objectContaining({ usageKind: 'streaming.live_avatar_custom', quantity: credits('10.5'), amountCents: 105n }),
                expect.objectContaining({ usageKind: 'streaming.live_avatar_full', quantity: credits('40'), amountCents: 400n }),
              ],
            }),
          },
        },
      );
    expect(ofType(april.events, 'InvoiceIssued').filter((e) => e.data.invoice.kind === 'overage')).toHaveLength(1);
    april.when(advance('2026-04-02T00:00:00Z')).thenRecordsNo('InvoiceIssued');
  });
});

describe('Scale with auto-renew', () => {
  const MAY_1 = '2026-05-01T00:00:00Z';
  const scale = recorded(openAccount('acct_scale', MAY_1), startPlan('api_scale', MAY_1, { autoRenew: true }));

  it('renews exactly once when 90 % of the grant is used, forfeiting the rest', () => {
    // 183 credits each (30-min Avatar IV): 549 (83 %), then 732 -> crosses 594 (90 %)
    const renewed = given(scale)
      .when(chargeUsage('avatar_video.avatar_iv', 1_800_000, '2026-05-02T00:00:00Z'))
      .thenRecordsNo('PeriodEnded')
      .when(chargeUsage('avatar_video.avatar_iv', 1_800_000, '2026-05-03T00:00:00Z'))
      .thenRecordsNo('PeriodEnded')
      .when(chargeUsage('avatar_video.avatar_iv', 1_800_000, '2026-05-04T00:00:00Z'))
      .thenRecordsNo('PeriodEnded')
      .when(chargeUsage('avatar_video.unlimited', 1_800_000, '2026-05-05T00:00:00Z'))
      .thenRecordsNo('PeriodEnded') // 30.5 -> 579.5: 87.8 %
      .when(chargeUsage('avatar_video.unlimited', 1_000_000, '2026-05-05T01:00:00Z')) // 17 -> 596.5
      .then(
        { type: 'UsageCharged', data: { priced: expect.objectContaining({ credits: credits('17') }) } },
        { type: 'PeriodEnded', data: { periodId: 'api-p2', reason: 'renewal' } },
        { type: 'LotForfeited', data: { lotId: 'api-l2', credits: credits('63.5'), reason: 'renewal' } },
        { type: 'PeriodStarted', data: { periodId: 'api-p3', reason: 'renewal' } },
        { type: 'CreditsGranted', data: { lotId: 'api-l3', credits: credits('660') } },
        { type: 'InvoiceIssued', data: { invoice: expect.objectContaining({ kind: 'plan', totalCents: 33000n }) } },
      );
    expect(available(renewed.history, '2026-05-05T01:00:00Z')).toBe('660');
    // a late record for the old period does not renew it again
    renewed.when(chargeUsage('avatar_video.unlimited', 1_000, '2026-05-04T12:00:00Z')).thenRecordsNo('PeriodEnded');
  });

  it('stops renewing after 5 renewals in a calendar month and says so once', () => {
    let account: Given | Outcome = given(scale);
    for (let i = 0; i < 8; i++) {
      account = account
        .when(chargeUsage('avatar_video.avatar_iv', 3 * 60 * 60_000, `2026-05-10T0${i}:00:00Z`))
        .thenContains({ type: 'UsageCharged' }); // 1083 credits
    }
    expect(ofType(account.history, 'PeriodEnded').filter((e) => e.data.reason === 'renewal')).toHaveLength(5);
    expect(ofType(account.history, 'AutoRenewCapReached').map((e) => [e.data.month, e.data.cap])).toEqual([['2026-05', 5]]);
  });
});

describe('may it run?', () => {
  it('refuses translation on Pro, a 4K render on Pro, and a render the credits cannot cover', () => {
    const { state } = given(recorded(openAccount('acct_a', JAN_1), startPlan('api_pro', JAN_1)));
    const now = at('2026-01-02T00:00:00Z');
    expect(authorize(state, { kind: 'video_translation', estimatedDurationMs: 60_000 }, now, DEFAULT_BOOK).reasons).toEqual([
      'feature_not_in_plan',
    ]);
    expect(
      authorize(state, { kind: 'avatar_video.unlimited', estimatedDurationMs: 60_000, resolution: '4k' }, now, DEFAULT_BOOK).reasons,
    ).toEqual(['resolution_above_plan']);
    expect(authorize(state, { kind: 'avatar_video.avatar_iv', estimatedDurationMs: 20 * 60_000 }, now, DEFAULT_BOOK).reasons).toEqual([
      'insufficient_credits',
    ]);
    expect(authorize(state, { kind: 'avatar_video.unlimited', estimatedDurationMs: 60_000 }, now, DEFAULT_BOOK).allowed).toBe(true);
  });

  it('refuses LiveAvatar without a LiveAvatar plan', () => {
    const { state } = given(recorded(openAccount('acct_b', JAN_1)));
    expect(
      authorize(state, { kind: 'streaming.live_avatar_full', estimatedDurationMs: 60_000 }, at('2026-01-02T00:00:00Z'), DEFAULT_BOOK)
        .reasons,
    ).toEqual(['no_plan']);
  });
});

describe('a plan started in the past', () => {
  it('cannot start before usage already charged on its wallet', () => {
    const charged = given(
      recorded(openAccount('acct_past', '2026-02-01T00:00:00Z'), chargeUsage('avatar_video.unlimited', 10_000, '2026-02-04T00:00:00Z')),
    );
    charged
      .when(startPlan('api_pro', '2026-02-05T00:00:00Z', { startsAt: '2026-02-03T04:00:00Z' }))
      .thenRejects({ error: 'invalid', field: 'startsAt' });
    charged
      .when(startPlan('api_pro', '2026-02-05T00:00:00Z', { startsAt: '2026-02-04T00:00:00Z' }))
      .thenContains({ type: 'PeriodStarted', data: { reason: 'plan_started', startsAt: at('2026-02-04T00:00:00Z') } });
  });
});
