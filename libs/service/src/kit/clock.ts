// The ledger's clock, injected: real time in production, moved by hand in simulation.
import { Instant } from '@ledger/domain';

export interface Clock {
  now(): Instant;
}

export const CLOCK = Symbol('CLOCK');

export class SystemClock implements Clock {
  now(): Instant {
    return new Date().toISOString();
  }
}

export class SimulatedClock implements Clock {
  constructor(private current: Instant) {}
  now(): Instant {
    return this.current;
  }
  /** Moves time forward; moving backwards is refused. */
  set(to: Instant): void {
    if (to < this.current) throw new RangeError(`the clock cannot move backwards from ${this.current} to ${to}`);
    this.current = to;
  }
}
