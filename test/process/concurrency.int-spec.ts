// Two runners at once: two copies of the process managers in one process on one store (each with
// its own AccountLedger, as two processes would have), and two service instances on one
// PostgreSQL database. Both are driven at every step and their background loops race as well;
// every account's history must come out exactly as with one runner.
import { LEDGER_DATABASE, SqlClient } from '@ledger/event-store';
import { AccountLedger } from '@ledger/service/accounts/account-ledger';
import { SimulatedClock } from '@ledger/service/kit/clock';
import { ACCOUNTS_CONFIG, AccountsConfig } from '@ledger/service/accounts/accounts-config';
import { NOTIFICATION_CONFIG, NotificationConfig } from '@ledger/service/notifications/notification-config';
import { PROCESS_CONFIG, ProcessConfig } from '@ledger/service/process/process-config';
import { LEDGER_SCHEMA } from '@ledger/service/store/store-config';
import { NotificationDispatcher } from '@ledger/service/notifications/dispatcher';
import { NotificationProjection } from '@ledger/service/notifications/notification-projection';
import { ClockRunner } from '@ledger/service/process/clock-runner';
import { DeadlineProjection } from '@ledger/service/process/deadline-projection';
import { DeadlineRunner } from '@ledger/service/process/deadline-runner';
import { seededRandom } from '../support/seeded-random';
import {
  accountEvents,
  checkExactlyOnce,
  days,
  describeEachBackend,
  Ledger,
  liveSession,
  moveClock,
  notifications,
  openAccount,
  postEvents,
  START,
  useLedgers,
  video,
} from './support';

const FAST = { LEDGER_PROCESS_POLL_MS: '15', LEDGER_PROJECTION_POLL_MS: '10', LEDGER_PROCESS_LEASE_MS: '400' };
const PLANS: (Record<string, unknown> | undefined)[] = [
  { plan: 'api_pro' },
  { plan: 'api_scale', autoRenew: true },
  { plan: 'api_scale', autoRenew: true, allowOverage: true },
  { plan: 'live_avatar', allowOverage: true },
  { plan: 'live_avatar', autoRenew: true },
  undefined,
];
const ACCOUNTS = Array.from({ length: 18 }, (_, i) => ({ accountId: `acct_c${i}`, plan: PLANS[i % PLANS.length] }));
const END = '2026-02-16T00:00:00.000Z';

/** Something that can move the clock to an instant and answer once the process managers caught up. */
type Mover = (now: string) => Promise<void>;

/** The same six weeks whoever runs them: accounts opened through the first hours, usage every day. */
async function script(l: Ledger, movers: Mover[]): Promise<void> {
  const random = seededRandom(20260101);
  const moveAll = (now: string) => Promise.all(movers.map((m) => m(now)));
  for (const [i, a] of ACCOUNTS.entries()) {
    await moveAll(new Date(Date.parse(START) + i * 37 * 60_000).toISOString());
    await openAccount(l, a.accountId, a.plan);
  }
  for (const day of days('2026-01-02T00:00:00Z', END)) {
    await moveAll(day);
    const usage = ACCOUNTS.map((a, i) => {
      const at = new Date(Date.parse(day) - 1 - Math.floor(random() * 6 * 3_600_000)).toISOString();
      const id = `u-${a.accountId}-${day}`;
      return a.plan?.plan === 'live_avatar'
        ? liveSession(a.accountId, at, 1 + Math.floor(random() * 60), i % 2 ? 'live_avatar_full' : 'live_avatar_custom', id)
        : video(a.accountId, at, 0.5 * (1 + Math.floor(random() * (a.plan ? 100 : 3))), id);
    });
    await postEvents(l, usage);
  }
  await moveAll(END);
}

/** A second copy of the process managers on the service's store, with its own ledger, clock and instance id. */
function secondCopy(l: Ledger): { runner: ClockRunner; clock: SimulatedClock; deadlines: DeadlineProjection } {
  const process: ProcessConfig = { ...l.app.get<ProcessConfig>(PROCESS_CONFIG), instanceId: 'copy-2' };
  const notifying = l.app.get<NotificationConfig>(NOTIFICATION_CONFIG);
  const schema = l.app.get<string>(LEDGER_SCHEMA);
  const db = l.app.get<SqlClient>(LEDGER_DATABASE);
  const clock = new SimulatedClock(START);
  const ledger = new AccountLedger(l.store, l.app.get<AccountsConfig>(ACCOUNTS_CONFIG));
  const deadlines = new DeadlineProjection(l.store, db, schema, process);
  const notifications = new NotificationProjection(l.store, db, schema, notifying);
  const runner = new ClockRunner(
    clock,
    process,
    db,
    new DeadlineRunner(process, ledger, deadlines),
    deadlines,
    notifications,
    new NotificationDispatcher(db, schema, notifying),
    ledger,
  );
  return { runner, clock, deadlines };
}

async function histories(l: Ledger) {
  const out: Record<string, unknown> = {};
  for (const a of ACCOUNTS) {
    const events = await accountEvents(l.store, a.accountId);
    checkExactlyOnce(events);
    out[a.accountId] = { events, notifications: (await notifications(l, a.accountId)).map((n) => n.id) };
  }
  return out;
}

describeEachBackend('two runners at once', (backend) => {
  const { start, newPlace } = useLedgers(backend);

  /** The reference: one service, one runner, no background loops. */
  let reference: Record<string, unknown> | undefined;
  const referenceRun = async () => {
    if (reference) return reference;
    const l = await start(newPlace(), { LEDGER_PROCESS: 'false' });
    await script(l, [(now) => moveClock(l, now)]);
    reference = await histories(l);
    return reference;
  };

  it('two copies of the process managers in one process on one store: each thing once, as with one runner', async () => {
    const want = await referenceRun();
    const l = await start(newPlace(), FAST);
    const copy = secondCopy(l);
    await copy.runner.onModuleInit();
    copy.runner.startLoops();
    try {
      await script(l, [
        (now) => moveClock(l, now),
        async (now) => {
          copy.clock.set(now);
          await copy.runner.advance(now);
        },
      ]);
      // both did work, and the leases gave each background job to one copy at a time
      expect(l.runner.runner.submitted + copy.runner.runner.submitted).toBeGreaterThan(0);
      expect(copy.runner.runner.submitted).toBeGreaterThan(0);
      process.stderr.write(
        `two copies [${backend.name}]: submitted ${l.runner.runner.submitted} + ${copy.runner.runner.submitted}, found nothing due ${l.runner.runner.foundNothing} + ${copy.runner.runner.foundNothing}\n`,
      );
      const held = [...l.runner.leasesHeld, ...copy.runner.leasesHeld];
      expect(new Set(held).size).toBe(held.length);
    } finally {
      await copy.runner.onModuleDestroy();
    }
    expect(await histories(l)).toEqual(want);
  }, 300_000);

  it('two runners holding the same due rows both submit their Advance: the second finds nothing due', async () => {
    const l = await start(newPlace(), { LEDGER_PROCESS: 'false' });
    for (const a of ACCOUNTS) await openAccount(l, a.accountId, a.plan);
    await moveClock(l, '2026-01-20T00:00:00Z');
    const copy = secondCopy(l);
    // each runner reads its due rows, then waits until the other has read them too: both hold the same rows
    const gate = (n: number) => {
      let arrived = 0;
      let open!: () => void;
      const opened = new Promise<void>((r) => (open = r));
      return async () => {
        if (++arrived === n) open();
        await opened;
      };
    };
    const bothRead = gate(2);
    for (const p of [l.runner.deadlines, copy.deadlines]) {
      const due = p.due.bind(p);
      p.due = async (...args) => {
        const rows = await due(...args);
        if (rows.length) await bothRead();
        return rows;
      };
    }
    copy.clock.set('2026-02-01T00:00:00Z');
    await Promise.all([moveClock(l, '2026-02-01T00:00:00Z'), copy.runner.advance('2026-02-01T00:00:00Z')]);
    await copy.runner.onModuleDestroy();
    const mine = l.runner.runner;
    const theirs = copy.runner.runner;
    expect(mine.submitted).toBe(theirs.submitted);
    expect(mine.foundNothing + theirs.foundNothing).toBe(mine.submitted); // every account advanced by exactly one of them
    for (const a of ACCOUNTS) checkExactlyOnce(await accountEvents(l.store, a.accountId));
    const expiries = await Promise.all(
      ACCOUNTS.map(async (a) => (await accountEvents(l.store, a.accountId)).filter((e) => e.type === 'LotExpired').length),
    );
    expect(expiries.reduce((x, y) => x + y)).toBeGreaterThan(0);
  });

  (backend.name === 'postgres' ? it : it.skip)(
    backend.name === 'postgres'
      ? 'two service instances on one database: each thing once, as with one runner'
      : 'two service instances on one database: skipped, PGlite is one process',
    async () => {
      const want = await referenceRun();
      const place = newPlace();
      const a = await start(place, { ...FAST, LEDGER_INSTANCE_ID: 'instance-a' });
      const b = await start(place, { ...FAST, LEDGER_INSTANCE_ID: 'instance-b' });
      await script(a, [(now) => moveClock(a, now), (now) => moveClock(b, now)]);
      expect(a.runner.runner.submitted).toBeGreaterThan(0);
      expect(b.runner.runner.submitted).toBeGreaterThan(0);
      process.stderr.write(
        `two instances [${backend.name}]: submitted ${a.runner.runner.submitted} + ${b.runner.runner.submitted}, found nothing due ${a.runner.runner.foundNothing} + ${b.runner.runner.foundNothing}\n`,
      );
      const held = [...a.runner.leasesHeld, ...b.runner.leasesHeld];
      expect(new Set(held).size).toBe(held.length);
      expect(await histories(a)).toEqual(want);
    },
    300_000,
  );
});
