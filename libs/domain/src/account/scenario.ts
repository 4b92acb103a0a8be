// given/when/then for the account decider, used by the specs.
import { DEFAULT_BOOK, UsageKind } from '../catalog/catalog';
import { Usage } from '../pricing/usage';
import { Instant, toInstant } from '../time/instant';
import { AccountCommand, isRejection, Rejection } from './commands';
import { decide, DecideContext } from './decide';
import { AccountEvent } from './events';
import { AccountState, evolve, initialAccountState } from './state';

export const ctx: DecideContext = { book: DEFAULT_BOOK };

export class Scenario {
  state: AccountState = initialAccountState();
  readonly history: AccountEvent[] = [];

  /** Runs commands that must succeed. */
  given(...cmds: AccountCommand[]): this {
    for (const cmd of cmds) {
      const out = this.run(cmd);
      if (isRejection(out)) throw new Error(`given ${cmd.type} was refused: ${out.message}`);
    }
    return this;
  }

  /** Runs one command and returns its events, or its rejection. */
  when(cmd: AccountCommand): AccountEvent[] | Rejection {
    return this.run(cmd);
  }

  private run(cmd: AccountCommand): AccountEvent[] | Rejection {
    const out = decide(cmd, this.state, ctx);
    if (isRejection(out)) return out;
    for (const e of out) this.state = evolve(this.state, e);
    this.history.push(...out);
    return out;
  }
}

export const at = (text: string): Instant => toInstant(text);

export const open = (accountId: string, now: string): AccountCommand => ({ type: 'OpenAccount', accountId, name: accountId, now: at(now) });

export const usage = (kind: UsageKind, durationMs: number, when: string, id = `u-${when}-${kind}-${durationMs}`): Usage => ({
  ref: { source: 'test', id }, kind, at: at(when), durationMs, jobId: id,
});

export const chargeCmd = (kind: UsageKind, durationMs: number, when: string, id?: string): AccountCommand => ({
  type: 'ChargeUsage', usage: usage(kind, durationMs, when, id), now: at(when),
});

export const ofType = <T extends AccountEvent['type']>(events: AccountEvent[] | Rejection, type: T): Extract<AccountEvent, { type: T }>[] => {
  if (isRejection(events)) throw new Error(`refused: ${events.message}`);
  return events.filter((e): e is Extract<AccountEvent, { type: T }> => e.type === type);
};
