// When each account next needs the clock: its earliest unrecorded expiry or period end.
// Derived from the log (rebuilt at start, then kept current after every append), so nothing
// that must happen depends on a timer surviving a restart.
import { Injectable } from '@nestjs/common';
import { AccountState, Instant, nextDeadline } from '@ledger/domain';

@Injectable()
export class DeadlineSchedule {
  private readonly due = new Map<string, Instant>();

  note(accountId: string, state: AccountState): void {
    const next = nextDeadline(state);
    if (next) this.due.set(accountId, next.at);
    else this.due.delete(accountId);
  }

  /** Accounts with a deadline at or before `now`. */
  dueBy(now: Instant, limit: number): string[] {
    const out: string[] = [];
    for (const [accountId, at] of this.due) {
      if (at <= now) out.push(accountId);
      if (out.length >= limit) break;
    }
    return out;
  }

  get size(): number {
    return this.due.size;
  }
}
