// What AccountLedger tells the process managers after every append: "these accounts changed".
// The schedule itself is data (process_deadlines, kept by deadline-projection.ts from the log);
// this is only a hint that wakes the projections at once rather than at their next poll, so a
// missed hint (another process appended) costs at most one poll interval.
import { Injectable } from '@nestjs/common';
import { AccountState } from '@ledger/domain';

@Injectable()
export class DeadlineSchedule {
  private readonly listeners = new Set<() => void>();

  /** Called by AccountLedger after it appended events of `accountId`. */
  note(_accountId: string, _state: AccountState): void {
    for (const listener of this.listeners) listener();
  }

  /** Registers a wake-up; returns its removal. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
