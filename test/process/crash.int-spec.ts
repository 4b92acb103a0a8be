// Crashes at the worst moments, then a restart on the same data: the runner after its Advance was
// stored but before anything else (schedule, checkpoint), the deadline projection and the
// notification projection inside their transactions. Nothing happens twice, nothing is lost.
import { decideNotifications, evolveNotifications, initialNotificationState } from '@ledger/domain/process/notifications';
import { accountStream } from '@ledger/domain';
import {
  accountEvents,
  checkExactlyOnce,
  describeEachBackend,
  entries,
  invoices,
  Ledger,
  liveSession,
  moveClock,
  notifications,
  openAccount,
  Place,
  postEvents,
  setClock,
  startLedger,
  video,
} from './support';
import { decodeAccountEvent, isAccountEventType } from '@ledger/domain';
import { EventStore } from '@ledger/event-store';

const ACCOUNTS = ['acct_pro', 'acct_scale', 'acct_live'];

/** January: a Pro account, a Scale account that renews at 90 %, a LiveAvatar account in overage. */
async function january(l: Ledger): Promise<void> {
  await openAccount(l, 'acct_pro', { plan: 'api_pro' });
  await openAccount(l, 'acct_scale', { plan: 'api_scale', autoRenew: true });
  await openAccount(l, 'acct_live', { plan: 'live_avatar', allowOverage: true });
  await moveClock(l, '2026-01-10T00:00:00Z');
  await postEvents(l, [
    video('acct_pro', '2026-01-09T10:00:00Z', 30),
    video('acct_scale', '2026-01-09T10:00:00Z', 600),
    liveSession('acct_live', '2026-01-09T23:00:00Z', 520, 'live_avatar_full'),
    liveSession('acct_live', '2026-01-09T23:30:00Z', 10.5, 'live_avatar_custom'),
  ]);
  await moveClock(l, '2026-01-30T00:00:00Z');
}

/** What the notification process manager decides over the account's whole stream: the ids expected once each. */
async function expectedNotificationIds(store: EventStore, accountId: string): Promise<string[]> {
  let state = initialNotificationState();
  const ids: string[] = [];
  for (const r of await store.readStream(accountStream(accountId))) {
    if (!isAccountEventType(r.type)) continue;
    const event = decodeAccountEvent(r.type, r.data);
    ids.push(...decideNotifications({ accountId, streamId: r.streamId, streamVersion: r.streamVersion, event }, state).map((n) => n.id));
    state = evolveNotifications(state, event);
  }
  return ids;
}

/** After the restart: February as it must be, each thing once. */
async function checkFebruary(l: Ledger): Promise<void> {
  for (const a of ACCOUNTS) checkExactlyOnce(await accountEvents(l.store, a));
  const pro = await entries(l, 'acct_pro');
  expect(pro.filter((e) => e.kind === 'expiry').map((e) => [e.at, e.credits])).toEqual([['2026-01-31T00:00:00.000Z', '-70']]);
  expect((await invoices(l, 'acct_pro')).map((i) => [i.kind, i.period.startsAt])).toEqual([
    ['plan', '2026-01-01T00:00:00.000Z'],
    ['plan', '2026-02-01T00:00:00.000Z'],
  ]);
  expect((await invoices(l, 'acct_scale')).filter((i) => i.kind === 'plan').map((i) => i.period.startsAt)).toEqual([
    '2026-01-01T00:00:00.000Z',
    '2026-01-09T10:00:00.000Z',
  ]);
  const live = await invoices(l, 'acct_live');
  expect(live.filter((i) => i.kind === 'overage').map((i) => i.totalCents)).toEqual([505]);
  expect(live.filter((i) => i.kind === 'plan')).toHaveLength(2);
  for (const a of ACCOUNTS) {
    const told = (await notifications(l, a)).map((n) => n.id);
    expect(told).toEqual(await expectedNotificationIds(l.store, a));
    expect(new Set(told).size).toBe(told.length);
  }
}

describeEachBackend('crashes and restarts', (backend) => {
  let place: Place;
  let ledger: Ledger | undefined;
  beforeEach(() => {
    place = backend.place();
  });
  afterEach(async () => {
    await ledger?.close();
    ledger = undefined;
    await place.cleanup();
  });

  /** Restarts the service on the same data with the clock at 1 February, loops on, and moves it there. */
  const restart = async () => {
    await ledger!.close(); // the crashed process is gone
    ledger = await startLedger(place, { LEDGER_SIMULATION_START: '2026-02-01T00:00:00Z' });
    await moveClock(ledger, '2026-02-01T00:00:00Z');
    await checkFebruary(ledger);
  };

  it('the runner dies after its Advance was stored, before the schedule caught up: nothing twice', async () => {
    ledger = await startLedger(place, { LEDGER_PROCESS: 'false' }); // only the clock moves the managers: the crash is ours to place
    await january(ledger);
    let crashed = 0;
    ledger.runner.runner.faults.afterSubmit = () => {
      crashed++;
      throw new Error('the runner process dies here');
    };
    const res = await setClock(ledger, '2026-02-01T00:00:00Z');
    expect(res.status).toBe(500);
    expect(crashed).toBe(1);
    // the expiries, period ends and invoices of the first batch are recorded; the schedule still says due
    expect((await entries(ledger, 'acct_pro')).filter((e) => e.kind === 'expiry')).toHaveLength(1);
    const due = await ledger.runner.deadlines.due('2026-02-01T00:00:00Z', 10);
    expect(due.map((d) => d.accountId).sort()).toEqual(['acct_live', 'acct_pro']); // the Scale account renewed on 9 January: due in February
    await restart();
  });

  it('the deadline projection dies inside its transaction: nothing twice', async () => {
    ledger = await startLedger(place, { LEDGER_PROCESS: 'false' });
    await january(ledger);
    let batches = 0;
    ledger.runner.deadlines.faults.beforeCommit = () => {
      if (++batches === 1) throw new Error('the projector dies before its checkpoint'); // the batch of the Advance's events
    };
    expect((await setClock(ledger, '2026-02-01T00:00:00Z')).status).toBe(500);
    expect(batches).toBe(1);
    await restart();
  });

  it('the notification projection dies after writing the outbox, before its checkpoint: each notification once', async () => {
    ledger = await startLedger(place, { LEDGER_PROCESS: 'false' });
    await january(ledger);
    ledger.runner.notifications.faults.beforeCommit = () => {
      throw new Error('the projector dies before its checkpoint');
    };
    expect((await setClock(ledger, '2026-02-01T00:00:00Z')).status).toBe(500);
    await restart();
  });

  it('the notification projection fails a batch and goes on in the same process: the account states it kept in memory do not count the failed batch', async () => {
    ledger = await startLedger(place, { LEDGER_PROCESS: 'false' }); // only the clock moves the managers: the failure is ours to place
    await openAccount(ledger, 'acct_cache', { plan: 'api_pro' });
    await moveClock(ledger, '2026-01-10T00:00:00Z');
    await postEvents(ledger, [video('acct_cache', '2026-01-09T01:00:00Z', 50)]); // 50 %
    ledger.runner.notifications.faults.beforeCommit = () => {
      throw new Error('the batch fails before its checkpoint');
    };
    expect((await setClock(ledger, '2026-01-10T00:00:01Z')).status).toBe(500);
    ledger.runner.notifications.faults.beforeCommit = undefined;
    await postEvents(ledger, [video('acct_cache', '2026-01-09T02:00:00Z', 45)]); // 95 %: the 80 and 90 % thresholds, by this record
    await moveClock(ledger, '2026-01-10T00:00:02Z'); // the same copy goes on, from the checkpoint before the failed batch
    const told = await notifications(ledger, 'acct_cache');
    expect(told.map((n) => n.id)).toEqual(await expectedNotificationIds(ledger.store, 'acct_cache'));
    const thresholds = told.filter((n) => n.kind === 'balance_threshold');
    expect(thresholds.map((n) => [n.data.threshold, n.at])).toEqual([
      [80, '2026-01-09T02:00:00.000Z'],
      [90, '2026-01-09T02:00:00.000Z'],
    ]);
  });

  it('a crash in each place in turn, with the background loops running too', async () => {
    ledger = await startLedger(place, { LEDGER_PROCESS_POLL_MS: '20', LEDGER_PROJECTION_POLL_MS: '10' });
    await january(ledger);
    let n = 0;
    const maybe = (where: string) => () => {
      if (++n % 3 === 0) throw new Error(`dies in ${where}`);
    };
    ledger.runner.runner.faults.afterSubmit = maybe('the runner');
    ledger.runner.deadlines.faults.beforeCommit = maybe('the deadline projection');
    ledger.runner.notifications.faults.beforeCommit = maybe('the notification projection');
    for (const day of ['2026-01-31T00:00:00Z', '2026-01-31T12:00:00Z', '2026-02-01T00:00:00Z']) await setClock(ledger, day);
    expect(n).toBeGreaterThanOrEqual(3); // at least one crash happened
    await restart();
  });

  it('a replay of the whole log (both projections reset) repeats nothing: same schedule, same outbox, nothing new', async () => {
    ledger = await startLedger(place);
    await january(ledger);
    await moveClock(ledger, '2026-02-01T00:00:00Z');
    const snapshot = async (l: Ledger) => ({
      deadlines: await l.runner.deadlines.due('2100-01-01T00:00:00.000Z', 100),
      outbox: await Promise.all(ACCOUNTS.map((a) => notifications(l, a))),
      events: await Promise.all(ACCOUNTS.map((a) => accountEvents(l.store, a))),
    });
    const before = await snapshot(ledger);
    await ledger.runner.stopLoops();
    await ledger.runner.deadlines.reset();
    await ledger.runner.notifications.reset();
    expect(await ledger.runner.deadlines.position()).toBe(0n);
    await moveClock(ledger, '2026-02-01T00:00:00Z'); // replays both projections to the head, then runs the runner
    expect(await snapshot(ledger)).toEqual(before);
    await restart();
  });
});
