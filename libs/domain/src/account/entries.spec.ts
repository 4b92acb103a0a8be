import { parseCredits } from '../credits/credits';
import { balanceAt } from './balance';
import { entriesOf, entriesOfEvent, entryFactOf, LedgerEntry, writeEntries } from './entries';
import { AccountEvent, UsageCharged } from './events';
import { at, cancelPlan, chargeUsage, ofType, openAccount, recorded, startPlan } from './spec-helpers';

const c = parseCredits;
const AT = at('2026-01-05T10:00:00Z');

const charged = (parts: { draws?: [string, string][]; overage?: string; uncovered?: string; periodId?: string | null }): UsageCharged => {
  const draws = (parts.draws ?? []).map(([lotId, credits]) => ({ lotId, credits: c(credits) }));
  const overage = c(parts.overage ?? '0');
  const uncovered = c(parts.uncovered ?? '0');
  return {
    type: 'UsageCharged',
    data: {
      wallet: 'api',
      periodId: parts.periodId === undefined ? 'p1' : parts.periodId,
      at: AT,
      usage: { ref: { source: 'test', id: 'u1' }, kind: 'avatar_video.avatar_iv', at: AT, durationMs: 60_000, jobId: 'j1' },
      priced: {
        kind: 'avatar_video.avatar_iv',
        catalogVersion: 'v1',
        units: 3,
        unit: 'block30',
        credits: draws.reduce((t, d) => t + d.credits, 0n) + overage + uncovered,
      },
      draws,
      overage,
      uncovered,
      flags: [],
    },
  };
};

/** An entry with the nulls an entry of its kind has. */
const entry = (e: Partial<LedgerEntry> & Pick<LedgerEntry, 'kind' | 'credits'>): LedgerEntry => ({
  seq: 0,
  wallet: 'api',
  at: AT,
  lotId: null,
  periodId: null,
  usageKind: null,
  reason: null,
  ...e,
});

describe('the entries an event makes', () => {
  it('a grant: the credits in, on its lot and period', () => {
    const e: AccountEvent = {
      type: 'CreditsGranted',
      data: { wallet: 'api', lotId: 'l1', periodId: 'p1', credits: c('100'), at: AT, expiresAt: at('2026-02-05T10:00:00Z') },
    };
    expect(entriesOfEvent(e)).toEqual([entry({ kind: 'grant', credits: c('100'), lotId: 'l1', periodId: 'p1' })]);
  });

  it('a charge: the credits drawn from all its lots out, then its overage, then what is uncovered', () => {
    const e = charged({
      draws: [
        ['l1', '2.5'],
        ['l2', '0.5'],
      ],
      overage: '4',
      uncovered: '1.25',
    });
    const usage = { periodId: 'p1', usageKind: 'avatar_video.avatar_iv' as const };
    expect(entriesOfEvent(e)).toEqual([
      entry({ kind: 'charge', seq: 0, credits: c('-3'), ...usage }),
      entry({ kind: 'overage', seq: 1, credits: c('4'), ...usage }),
      entry({ kind: 'uncovered', seq: 2, credits: c('1.25'), ...usage }),
    ]);
  });

  it('a charge with no overage and nothing uncovered makes one entry; no overage: the uncovered entry comes second', () => {
    expect(entriesOfEvent(charged({ draws: [['l1', '2']] })).map((x) => [x.kind, x.seq, x.credits])).toEqual([['charge', 0, c('-2')]]);
    expect(entriesOfEvent(charged({ draws: [['l1', '2']], uncovered: '3' })).map((x) => [x.kind, x.seq, x.credits])).toEqual([
      ['charge', 0, c('-2')],
      ['uncovered', 1, c('3')],
    ]);
  });

  it('a charge that drew nothing still makes its charge entry, of zero credits, before what is uncovered', () => {
    const entries = entriesOfEvent(charged({ uncovered: '6', periodId: null }));
    expect(entries).toEqual([
      entry({ kind: 'charge', seq: 0, credits: 0n, usageKind: 'avatar_video.avatar_iv' }),
      entry({ kind: 'uncovered', seq: 1, credits: c('6'), usageKind: 'avatar_video.avatar_iv' }),
    ]);
  });

  it('an expiry and a forfeit: the credits out of their lot, a forfeit with its reason', () => {
    expect(entriesOfEvent({ type: 'LotExpired', data: { wallet: 'live_avatar', lotId: 'l1', credits: c('98'), at: AT } })).toEqual([
      entry({ kind: 'expiry', wallet: 'live_avatar', credits: c('-98'), lotId: 'l1' }),
    ]);
    expect(
      entriesOfEvent({ type: 'LotForfeited', data: { wallet: 'api', lotId: 'l0', credits: c('10'), reason: 'replaced_free', at: AT } }),
    ).toEqual([entry({ kind: 'forfeit', credits: c('-10'), lotId: 'l0', reason: 'replaced_free' })]);
  });

  it('a correction: the credits back in, naming the closure it undoes', () => {
    const e: AccountEvent = {
      type: 'LotClosureCorrected',
      data: { wallet: 'api', lotId: 'l1', credits: c('2'), closure: 'expiry', usage: { source: 'test', id: 'late' }, at: AT },
    };
    expect(entriesOfEvent(e)).toEqual([entry({ kind: 'correction', credits: c('2'), lotId: 'l1', reason: 'expiry' })]);
  });

  it('an account opened, a period started or ended, an invoice, a failed render, settings, a cancellation make no entry', () => {
    const history = recorded(
      openAccount('acct_e', '2026-01-01T00:00:00Z'),
      startPlan('api_pro', '2026-01-01T00:00:00Z'),
      cancelPlan('api', '2026-01-02T00:00:00Z'),
    );
    const none: AccountEvent[] = [
      ...history.filter((e) => !['CreditsGranted', 'LotForfeited', 'LotExpired'].includes(e.type)),
      { type: 'RenderFailed', data: { ref: { source: 'test', id: 'r1' }, jobId: 'j1', at: AT } },
      { type: 'PlanSettingsChanged', data: { wallet: 'api', periodId: 'p1', autoRenew: true, allowOverage: true, at: AT } },
      { type: 'AutoRenewCapReached', data: { wallet: 'api', month: '2026-01', cap: 3, at: AT } },
    ];
    expect(new Set(none.map((e) => e.type))).toEqual(
      new Set([
        'AccountOpened',
        'PeriodStarted',
        'InvoiceIssued',
        'PeriodEnded',
        'PlanCancelled',
        'RenderFailed',
        'PlanSettingsChanged',
        'AutoRenewCapReached',
      ]),
    );
    for (const e of none) {
      expect(entryFactOf(e)).toBeUndefined();
      expect(entriesOfEvent(e)).toEqual([]);
    }
  });

  it('the entries of a decided history: what the lots gained and lost adds up to the balance', () => {
    const history = recorded(
      openAccount('acct_m', '2026-01-01T00:00:00Z'),
      startPlan('api_pro', '2026-01-01T00:00:00Z'),
      chargeUsage('avatar_video.unlimited', 103_000, '2026-01-05T10:00:00Z'),
      chargeUsage('avatar_video.avatar_iv', 1_800_000, '2026-01-10T00:00:00Z'),
    );
    const entries = history.flatMap(entriesOfEvent);
    expect(entries.map((x) => x.kind)).toEqual(['grant', 'forfeit', 'grant', 'charge', 'charge', 'uncovered']);
    // Lots move by grants, charges, expiries, forfeits and corrections; overage and uncovered are owed, not drawn.
    const lots = entries.filter((x) => x.kind !== 'overage' && x.kind !== 'uncovered').reduce((t, x) => t + x.credits, 0n);
    expect(lots).toBe(balanceAt('acct_m', history, at('2026-01-10T00:00:00Z')).wallets.api.available);
    const [, second] = ofType(history, 'UsageCharged');
    expect(entries[5].credits).toBe(second.data.uncovered);
  });

  it('a fact read from the stored log makes the same entries as the decoded event', () => {
    const e = charged({ draws: [['l1', '1']], overage: '2' });
    expect(
      entriesOf({
        kind: 'charge',
        wallet: 'api',
        at: AT,
        periodId: 'p1',
        usageKind: 'avatar_video.avatar_iv',
        drawn: c('1'),
        overage: c('2'),
        uncovered: 0n,
      }),
    ).toEqual(entriesOfEvent(e));
  });

  it('a reader that keeps columns is given the same entries, one call each, in order', () => {
    const fact = entryFactOf(charged({ draws: [['l1', '1']], overage: '2', uncovered: '3' }))!;
    const calls: unknown[][] = [];
    writeEntries(fact, {
      entry: (...args) => {
        calls.push(args);
      },
    });
    expect(calls).toEqual(
      entriesOf(fact).map((x) => [x.kind, x.seq, x.wallet, x.at, x.credits, x.lotId, x.periodId, x.usageKind, x.reason]),
    );
    expect(calls.map((x) => x[0])).toEqual(['charge', 'overage', 'uncovered']);
  });
});
