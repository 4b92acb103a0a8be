// Moves accounts to the clock's "now": every due expiry and period end is recorded, once.
// At start it rebuilds the schedule from the log; then it ticks (real time) or is driven by
// the simulation clock. Double runs are harmless: a second Advance finds nothing due.
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AccountState, decodeAccountEvent, evolve, initialAccountState, Instant, isAccountEventType } from '@ledger/domain';
import { EVENT_STORE, EventStore } from '@ledger/event-store';
import { accountOfStream, AccountLedger } from '../accounts/account-ledger';
import { CLOCK, Clock } from '../clock/clock';
import { LEDGER_CONFIG, LedgerConfig } from '../config/ledger-config';
import { DeadlineSchedule } from './deadline-schedule';

const BATCH = 500;

@Injectable()
export class ClockRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('ClockRunner');
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LEDGER_CONFIG) private readonly config: LedgerConfig,
    private readonly ledger: AccountLedger,
    private readonly schedule: DeadlineSchedule,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.rebuild();
    if (!this.config.simulation.enabled) this.timer = setInterval(() => void this.advance(this.clock.now()).catch((e) => this.log.error(e)), 1000);
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Records everything due by `now`; resolves when done. Runs one at a time. */
  advance(now: Instant): Promise<void> {
    this.running = this.running.catch(() => undefined).then(() => this.advanceNow(now));
    return this.running;
  }

  private async advanceNow(now: Instant): Promise<void> {
    for (;;) {
      const due = this.schedule.dueBy(now, BATCH);
      if (due.length === 0) return;
      await this.ledger.submit(due.map((accountId) => ({ accountId, command: { type: 'Advance', now }, provenance: { via: 'clock' } })));
      // An account whose deadline stays due was refused (unknown?) -> stop rather than spin.
      if (this.schedule.dueBy(now, BATCH).join() === due.join()) throw new Error(`accounts stayed due after advancing to ${now}: ${due.slice(0, 5).join(', ')}`);
    }
  }

  private async rebuild(): Promise<void> {
    const states = new Map<string, AccountState>();
    let after = 0n;
    for (;;) {
      const page = await this.store.readAll(after, 5000);
      if (page.length === 0) break;
      for (const r of page) {
        after = r.globalPosition;
        const accountId = accountOfStream(r.streamId);
        if (!accountId || !isAccountEventType(r.type)) continue;
        states.set(accountId, evolve(states.get(accountId) ?? initialAccountState(), decodeAccountEvent(r.type, r.data)));
      }
    }
    for (const [accountId, state] of states) this.schedule.note(accountId, state);
    this.log.log(`schedule rebuilt from the log: ${this.schedule.size} accounts with deadlines`);
  }
}
