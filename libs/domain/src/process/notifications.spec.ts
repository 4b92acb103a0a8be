// The notification process manager, given/when/then: given an account's history (made by the
// account decider), when the next command's events are recorded, then these notifications.
import { AccountCommand } from '../account/commands';
import { AccountEvent } from '../account/events';
import { at, chargeUsage, given, Given, openAccount, Outcome, placeHold, releaseHold } from '../account/spec-helpers';
import {
  decodeNotificationState,
  encodeNotificationState,
  initialNotificationState,
  Notification,
  NotificationState,
  reactToAccountEvent,
} from './notifications';

const ACCT = 'acct_n';
const STREAM = `account-${ACCT}`;

/** Runs the account decider and the notification manager side by side over the same events. */
class Watched {
  account: Given | Outcome = given();
  state: NotificationState = initialNotificationState();
  version = 0;
  readonly told: Notification[] = [];

  given(...cmds: AccountCommand[]): this {
    for (const c of cmds) this.when(c);
    return this;
  }

  /** The notifications caused by one command's events. */
  when(cmd: AccountCommand): Notification[] {
    const out = this.account.when(cmd);
    if (out.decision.rejection) throw new Error(`${cmd.type} refused: ${out.decision.rejection.message}`);
    this.account = out;
    return this.feed(out.events);
  }

  feed(events: AccountEvent[]): Notification[] {
    const out: Notification[] = [];
    for (const event of events) {
      const r = reactToAccountEvent({ accountId: ACCT, streamId: STREAM, streamVersion: ++this.version, event }, this.state);
      this.state = r.state;
      out.push(...r.notifications);
    }
    this.told.push(...out);
    return out;
  }
}

const kinds = (ns: Notification[]) => ns.map((n) => (n.kind === 'balance_threshold' ? `${n.kind}:${n.data.threshold}` : n.kind));
/** Unlimited-engine video worth `credits` credits (0.5 credit per started 30-second block). */
const video = (credits: number, when: string, id: string) => chargeUsage('avatar_video.unlimited', credits * 2 * 30_000 - 1, when, id);

describe('notifications: balance thresholds of a Pro account (100 credits)', () => {
  const pro = () =>
    new Watched().given(openAccount(ACCT, '2026-01-01T00:00:00Z'), { type: 'StartPlan', plan: 'api_pro', now: at('2026-01-01T00:00:00Z') });

  it('tells nothing below 80 %', () => {
    expect(pro().when(video(79, '2026-01-02T00:00:00Z', 'a'))).toEqual([]);
  });

  it('tells 80 % once, at the usage that reaches it, with a deterministic id', () => {
    const w = pro();
    w.given(video(79, '2026-01-02T00:00:00Z', 'a'));
    const [n, ...rest] = w.when(video(1, '2026-01-02T01:00:00Z', 'b'));
    expect(rest).toEqual([]);
    expect(n).toEqual({
      id: `${STREAM}:${w.version}:balance_threshold_80`,
      kind: 'balance_threshold',
      accountId: ACCT,
      wallet: 'api',
      at: '2026-01-02T01:00:00.000Z',
      data: { threshold: 80, periodId: 'api-p2', used: '80', held: '0', granted: '100' },
      source: { streamId: STREAM, streamVersion: w.version },
    });
    expect(w.when(video(1, '2026-01-02T02:00:00Z', 'c'))).toEqual([]); // 81 %: already told
  });

  it('tells 80, 90 and 100 % each once, even when one record crosses several', () => {
    const w = pro();
    expect(kinds(w.when(video(95, '2026-01-02T00:00:00Z', 'a')))).toEqual(['balance_threshold:80', 'balance_threshold:90']);
    expect(kinds(w.when(video(5, '2026-01-02T01:00:00Z', 'b')))).toEqual(['balance_threshold:100']);
    expect(kinds(w.when(video(5, '2026-01-02T02:00:00Z', 'c')))).toEqual(['wallet_exhausted']); // overage off: uncovered
    expect(kinds(w.when(video(5, '2026-01-02T03:00:00Z', 'd')))).toEqual([]); // still exhausted: told once
  });

  it('tells the thresholds again in the next period, and the expiry, period end and invoice between', () => {
    const w = pro();
    w.given(video(85, '2026-01-02T00:00:00Z', 'a'));
    expect(kinds(w.when({ type: 'Advance', now: at('2026-02-01T00:00:00Z') }))).toEqual(['lot_expired', 'period_ended', 'invoice_issued']);
    const inv = w.told[w.told.length - 1];
    expect(inv.data).toMatchObject({ invoiceKind: 'plan', totalCents: 9900, number: 'INV-acct_n-0002' });
    expect(kinds(w.when(video(80, '2026-02-02T00:00:00Z', 'b')))).toEqual(['balance_threshold:80']);
  });
});

describe('notifications: held credits count as not available (api.md "Holds")', () => {
  const pro = () =>
    new Watched().given(openAccount(ACCT, '2026-01-01T00:00:00Z'), { type: 'StartPlan', plan: 'api_pro', now: at('2026-01-01T00:00:00Z') });
  /** A hold of an unlimited video estimated at `credits` credits. */
  const hold = (key: string, credits: number, when: string) => placeHold(key, 'avatar_video.unlimited', credits * 60_000 - 1, when);

  it('tells 80 % at the hold that takes used and held past it, naming both', () => {
    const w = pro().given(video(70, '2026-01-02T00:00:00Z', 'a'));
    const told = w.when(hold('job_h', 15, '2026-01-02T01:00:00Z'));
    expect(kinds(told)).toEqual(['balance_threshold:80']);
    expect(told[0].data).toMatchObject({ used: '70', held: '15', granted: '100' });
  });

  it('does not count a job twice: its usage captures its own hold', () => {
    const w = pro().given(video(70, '2026-01-02T00:00:00Z', 'a'), hold('job_h', 5, '2026-01-02T01:00:00Z'));
    expect(w.when(video(5, '2026-01-02T02:00:00Z', 'job_h'))).toEqual([]); // 75 used, nothing held
    expect(kinds(w.when(video(5, '2026-01-02T03:00:00Z', 'b')))).toEqual(['balance_threshold:80']);
  });

  it('gives released credits back, and a threshold told stays told in its period', () => {
    const w = pro().given(video(70, '2026-01-02T00:00:00Z', 'a'));
    expect(kinds(w.when(hold('job_h', 15, '2026-01-02T01:00:00Z')))).toEqual(['balance_threshold:80']);
    const holdId = ((w.account as Outcome).events.find((e) => e.type === 'HoldPlaced') as Extract<AccountEvent, { type: 'HoldPlaced' }>)
      .data.holdId;
    w.when(releaseHold(holdId, '2026-01-02T01:30:00Z'));
    expect(w.when(video(5, '2026-01-02T03:00:00Z', 'b'))).toEqual([]); // 75: 80 % was told already
    expect(kinds(w.when(hold('job_k', 16, '2026-01-02T04:00:00Z')))).toEqual(['balance_threshold:90']);
    expect(decodeNotificationState(JSON.parse(JSON.stringify(encodeNotificationState(w.state))))).toEqual(w.state);
  });
});

describe('notifications: a Scale account with auto-renew', () => {
  const scale = () =>
    new Watched().given(openAccount(ACCT, '2026-01-01T00:00:00Z'), {
      type: 'StartPlan',
      plan: 'api_scale',
      autoRenew: true,
      now: at('2026-01-01T00:00:00Z'),
    });

  it('at 90 %: the thresholds, the period end, the renewal and its invoice', () => {
    const w = scale();
    const told = w.when(video(594, '2026-01-10T00:00:00Z', 'a')); // 90 % of 660
    expect(kinds(told)).toEqual(['balance_threshold:80', 'balance_threshold:90', 'period_ended', 'plan_renewed', 'invoice_issued']);
    expect(told.find((n) => n.kind === 'plan_renewed')!.data).toMatchObject({ plan: 'api_scale', startsAt: '2026-01-10T00:00:00.000Z' });
    // the new period starts counting from zero
    expect(kinds(w.when(video(530, '2026-01-11T00:00:00Z', 'b')))).toEqual(['balance_threshold:80']); // 528 = 80 % of 660
  });

  it('tells when the monthly cap of renewals is reached, once', () => {
    const w = scale();
    for (let i = 0; i < 5; i++) w.given(video(600, `2026-01-1${i}T00:00:00Z`, `r${i}`));
    expect(w.told.filter((n) => n.kind === 'plan_renewed')).toHaveLength(5);
    expect(kinds(w.when(video(600, '2026-01-20T00:00:00Z', 'x')))).toEqual([
      'balance_threshold:80',
      'balance_threshold:90',
      'auto_renew_cap_reached',
    ]);
    expect(kinds(w.when(video(60, '2026-01-21T00:00:00Z', 'y')))).toEqual(['balance_threshold:100']);
  });
});

describe('notifications: overage invoices', () => {
  it('a LiveAvatar period with overage ends with an overage invoice; late usage gets a supplementary one', () => {
    const w = new Watched().given(openAccount(ACCT, '2026-01-01T00:00:00Z'), {
      type: 'StartPlan',
      plan: 'live_avatar',
      allowOverage: true,
      now: at('2026-01-01T00:00:00Z'),
    });
    w.given(chargeUsage('streaming.live_avatar_full', 520 * 60_000, '2026-01-09T23:00:00Z', 'full'));
    const end = w.when({ type: 'Advance', now: at('2026-02-01T00:00:00Z') });
    expect(end.filter((n) => n.kind === 'invoice_issued').map((n) => [n.data.invoiceKind, n.data.totalCents])).toEqual([
      ['overage', 400],
      ['plan', 10000],
    ]);
    const late = w.when({
      ...chargeUsage('streaming.live_avatar_custom', 10 * 60_000, '2026-01-31T23:00:00Z', 'late'),
      now: at('2026-02-01T01:00:00Z'),
    });
    expect(late.map((n) => [n.kind, n.data.invoiceKind])).toEqual([['invoice_issued', 'supplementary']]);
  });
});

describe('notifications: deterministic and replayable', () => {
  it('a replay of the same events decides the same notifications, and the state survives JSON', () => {
    const w = new Watched().given(
      openAccount(ACCT, '2026-01-01T00:00:00Z'),
      { type: 'StartPlan', plan: 'api_scale', autoRenew: true, now: at('2026-01-01T00:00:00Z') },
      video(600, '2026-01-10T00:00:00Z', 'a'),
      { type: 'Advance', now: at('2026-03-01T00:00:00Z') },
    );
    const replay = new Watched();
    // the replay stores its state as JSON after every event, as the projection does
    let version = 0;
    for (const event of w.account.history) {
      const r = reactToAccountEvent({ accountId: ACCT, streamId: STREAM, streamVersion: ++version, event }, replay.state);
      replay.told.push(...r.notifications);
      replay.state = decodeNotificationState(JSON.parse(JSON.stringify(encodeNotificationState(r.state))));
    }
    expect(replay.told).toEqual(w.told);
    expect(new Set(w.told.map((n) => n.id)).size).toBe(w.told.length);
  });
});
