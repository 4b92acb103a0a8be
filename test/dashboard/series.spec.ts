// The dashboard's series of available credits (apps/dashboard/src/series.ts): derived from the
// entries and holds the API gives, exact to the millionth, with the marks the chart draws.
import { formatCredits } from '@ledger/domain';
import { walletSeries } from '../../apps/dashboard/src/series';
import { Entry, Hold, Notification } from '../../apps/dashboard/src/shapes';

const grant = (at: string, credits: string, lotId: string, periodId: string, expiresAt: string): Entry => ({
  kind: 'grant',
  at,
  wallet: 'api',
  credits,
  lotId,
  periodId,
  expiresAt,
});
const move = (kind: Entry['kind'], at: string, credits: string, extra: Partial<Entry> = {}): Entry => ({
  kind,
  at,
  wallet: 'api',
  credits,
  ...extra,
});

const now = '2026-02-01T00:00:00.000Z';

describe('available credits over time', () => {
  it('adds the lots’ movements exactly and leaves overage and uncovered out', () => {
    const [s] = walletSeries(
      [
        grant('2026-01-01T00:00:00.000Z', '100', 'api-l1', 'api-p1', '2026-01-31T00:00:00.000Z'),
        move('charge', '2026-01-02T10:00:00.000Z', '-0.103334'),
        move('charge', '2026-01-03T10:00:00.000Z', '-0.2'),
        move('overage', '2026-01-03T10:00:00.000Z', '5'),
        move('uncovered', '2026-01-03T10:00:00.000Z', '0.5'),
        move('expiry', '2026-01-31T00:00:00.000Z', '-99.696666', { lotId: 'api-l1' }),
      ],
      [],
      now,
    );
    expect(s.points.map((p) => [p.at, formatCredits(p.available)])).toEqual([
      ['2026-01-01T00:00:00.000Z', '100'],
      ['2026-01-02T10:00:00.000Z', '99.896666'],
      ['2026-01-03T10:00:00.000Z', '99.696666'],
      ['2026-01-31T00:00:00.000Z', '0'],
      [now, '0'],
    ]);
    expect(s.marks).toEqual([
      expect.objectContaining({
        kind: 'expiry',
        at: '2026-01-31T00:00:00.000Z',
        due: false,
        label: 'lot api-l1 expired: 99.696666 of 100 credits',
      }),
    ]);
    expect(s.ninety).toEqual([{ periodId: 'api-p1', from: '2026-01-01T00:00:00.000Z', granted: 100_000_000n, level: 10_000_000n }]);
  });

  it('takes what an open hold reserves from what is available until the hold ends, never below 0', () => {
    const hold: Hold = {
      holdId: 'h1.a',
      accountId: 'a',
      wallet: 'api',
      holdKey: 'job',
      credits: '3',
      status: 'captured',
      placedAt: '2026-01-05T00:00:00.000Z',
      expiresAt: '2026-01-05T01:00:00.000Z',
      endedAt: '2026-01-05T00:30:00.000Z',
    };
    const open: Hold = {
      ...hold,
      holdId: 'h2.a',
      status: 'held',
      placedAt: '2026-01-31T23:30:00.000Z',
      expiresAt: '2026-02-01T00:30:00.000Z',
      endedAt: null,
    };
    const [s] = walletSeries(
      [
        grant('2026-01-01T00:00:00.000Z', '2', 'api-l1', 'api-p1', '2026-01-31T00:00:00.000Z'),
        move('charge', '2026-01-05T00:30:00.000Z', '-1.5'),
      ],
      [hold, open],
      now,
    );
    expect(s.points.map((p) => [p.at, formatCredits(p.available), formatCredits(p.held)])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2', '0'],
      ['2026-01-05T00:00:00.000Z', '0', '3'],
      ['2026-01-05T00:30:00.000Z', '0.5', '0'],
      ['2026-01-31T23:30:00.000Z', '0', '3'],
      [now, '0', '3'],
    ]);
  });

  it('marks renewals, and no expiry for a lot that was forfeited; a period replaced at once has no 90 % step', () => {
    const renewed: Notification = {
      id: 'account-a:9:plan_renewed',
      at: '2026-01-19T15:39:00.000Z',
      kind: 'plan_renewed',
      wallet: 'api',
      accountId: 'a',
      data: { plan: 'api_scale', periodId: 'api-p3' },
    };
    const [s] = walletSeries(
      [
        grant('2026-01-01T00:00:00.000Z', '10', 'api-l1', 'api-p1', '2026-01-31T00:00:00.000Z'),
        move('forfeit', '2026-01-01T00:00:00.000Z', '-10', { lotId: 'api-l1', reason: 'replaced_free' }),
        grant('2026-01-01T00:00:00.000Z', '660', 'api-l2', 'api-p2', '2026-01-31T00:00:00.000Z'),
        move('charge', '2026-01-19T15:39:00.000Z', '-622.5'),
        move('forfeit', '2026-01-19T15:39:00.000Z', '-37.5', { lotId: 'api-l2', reason: 'renewal' }),
        grant('2026-01-19T15:39:00.000Z', '660', 'api-l3', 'api-p3', '2026-02-18T15:39:00.000Z'),
      ],
      [],
      now,
      [renewed],
    );
    expect(s.marks.map((m) => [m.kind, m.at, m.due])).toEqual([
      ['renewal', '2026-01-19T15:39:00.000Z', false],
      ['expiry', '2026-02-18T15:39:00.000Z', true],
    ]);
    expect(s.ninety.map((n) => [n.periodId, formatCredits(n.level)])).toEqual([
      ['api-p2', '66'],
      ['api-p3', '66'],
    ]);
    expect(formatCredits(s.points[s.points.length - 1].available)).toBe('660');
  });
});
