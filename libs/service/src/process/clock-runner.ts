// The process managers of the service, and what moves them:
// - the deadline projection (process_deadlines from the log) and the notification projection
//   (the outbox), one running copy at a time (lease `projections`);
// - the deadline runner, one running copy per shard (lease `deadlines-<k>-of-<n>`), advancing
//   due accounts to the clock's "now" (real time, or the simulated clock);
// - the notification dispatcher (lease `notification-dispatch`), when there is a sink.
// PUT /v1/simulation/clock calls advance(): it drives all of them itself, whatever the leases
// (every step is safe to run twice), and resolves once they have caught up to that instant.
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Instant } from '@ledger/domain';
import { LEDGER_DATABASE, SqlClient } from '@ledger/event-store';
import { AccountLedger } from '../accounts/account-ledger';
import { CLOCK, Clock } from '../kit/clock';
import { NotificationDispatcher } from '../notifications/dispatcher';
import { NotificationProjection } from '../notifications/notification-projection';
import { DeadlineProjection } from './deadline-projection';
import { DeadlineRunner } from './deadline-runner';
import { Lease, LeasedLoop } from '../kit/lease';
import { PROCESS_CONFIG, ProcessConfig } from './process-config';

/** Most passes of one advance() before it gives up (each pass advances up to 10 batches of accounts). */
const MAX_PASSES = 100_000;

@Injectable()
export class ClockRunner implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('ClockRunner');
  private running: Promise<void> = Promise.resolve();
  private loops: LeasedLoop[] = [];
  private projectionsLoop?: LeasedLoop;
  private dispatchLoop?: LeasedLoop;
  private unsubscribe?: () => void;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PROCESS_CONFIG) private readonly config: ProcessConfig,
    @Inject(LEDGER_DATABASE) private readonly db: SqlClient,
    readonly runner: DeadlineRunner,
    readonly deadlines: DeadlineProjection,
    readonly notifications: NotificationProjection,
    readonly dispatcher: NotificationDispatcher,
    private readonly ledger: AccountLedger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.deadlines.migrate();
    await this.notifications.migrate();
  }

  onApplicationBootstrap(): void {
    if (this.config.enabled) this.startLoops();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stopLoops();
    await this.running.catch(() => undefined);
    await this.dispatcher.close();
  }

  /** The background loops, each under its lease. */
  startLoops(): void {
    if (this.loops.length) return;
    const c = this.config;
    const lease = (name: string) => new Lease(this.db, this.deadlines.schema, name, c.instanceId, c.leaseMs);
    this.projectionsLoop = new LeasedLoop(
      lease('projections'),
      async () => {
        const d = await this.deadlines.step();
        const n = await this.notifications.step();
        if (n !== 0) this.dispatchLoop?.wake();
        if (d === 0 && n === 0) return false;
        // A full batch: behind, go on at once; a smaller one: let the next events gather first.
        return d >= c.projectionBatch || n >= c.projectionBatch ? true : 'partial';
      },
      { idleMs: c.projectionPollMs, gatherMs: c.projectionGatherMs },
    );
    this.loops.push(this.projectionsLoop);
    for (let k = 0; k < c.shards; k++) {
      const shard = { index: k, count: c.shards };
      this.loops.push(
        new LeasedLoop(lease(`deadlines-${k}-of-${c.shards}`), async () => (await this.runner.advanceDue(this.clock.now(), shard)) > 0, {
          idleMs: c.pollMs,
        }),
      );
    }
    if (this.dispatcher.active) {
      this.dispatchLoop = new LeasedLoop(lease('notification-dispatch'), () => this.dispatcher.step(), {
        idleMs: this.dispatcher.config.pollMs,
      });
      this.loops.push(this.dispatchLoop);
    }
    // An append in this process wakes the projections at once rather than at their next poll.
    this.unsubscribe = this.ledger.onAppended(() => this.projectionsLoop?.wake());
    for (const loop of this.loops) loop.start();
  }

  async stopLoops(): Promise<void> {
    this.unsubscribe?.();
    const loops = this.loops;
    this.loops = [];
    await Promise.all(loops.map((l) => l.stop()));
  }

  /** Leases this copy holds now (for tests and logs). */
  get leasesHeld(): string[] {
    return this.loops.filter((l) => l.lease.held).map((l) => l.lease.name);
  }

  /**
   * Records everything due by `now` and resolves once every process manager has caught up to it:
   * the deadline projection at the head of the log, nothing due by `now` left, the notifications
   * of it all recorded in the outbox. Calls run one at a time.
   */
  advance(now: Instant): Promise<void> {
    this.running = this.running.catch(() => undefined).then(() => this.settle(now));
    return this.running;
  }

  private async settle(now: Instant): Promise<void> {
    for (let pass = 0; ; pass++) {
      if (pass >= MAX_PASSES) throw new Error(`advancing to ${now}: still due after ${MAX_PASSES} passes`);
      if ((await this.runner.advanceDue(now)) === 0) break;
    }
    await this.notifications.catchUp();
    this.dispatchLoop?.wake();
  }
}
