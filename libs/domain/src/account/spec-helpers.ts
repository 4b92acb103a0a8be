// given(...events).when(command).then(...events | rejection), over the decider's one contract:
// `decide` then `evolve`, exactly as the ledger records (on a refusal too: what the clock owed).
// For the specs only (jest's `expect`); not exported from the package.
import { DEFAULT_BOOK, EnterpriseContract, PlanId, Resolution, UsageKind, WalletId } from '../catalog/catalog';
import { MicroCredits, parseCredits } from '../credits/credits';
import { Usage } from '../pricing/usage';
import { Instant, toInstant } from '../time/instant';
import { AccountCommand, Rejection } from './commands';
import { decide, Decision, DecideContext } from './decide';
import { AccountEvent, AccountEventType } from './events';
import { AccountState, evolve, foldAccount } from './state';

export const ctx: DecideContext = { book: DEFAULT_BOOK };

type EventOf<T extends AccountEventType> = Extract<AccountEvent, { type: T }>;

/** An event as a spec expects it: its type, and those fields of its data the spec states. */
export type Expected = { [T in AccountEventType]: { type: T; data?: Partial<EventOf<T>['data']> } }[AccountEventType];

const matcher = (e: Expected) => ({ type: e.type, data: expect.objectContaining(e.data ?? {}) });

const matches = (actual: AccountEvent, expected: Expected): boolean => {
  try {
    expect(actual).toEqual(matcher(expected));
    return true;
  } catch {
    return false;
  }
};

/** Given this history (events, or lists of them, in order): the account's state is its fold. */
export function given(...history: Array<AccountEvent | readonly AccountEvent[]>): Given {
  return new Given(history.flat());
}

export class Given {
  private folded?: AccountState;

  /** `state`, if given, is the fold of `history` already (no one changes it: decide and evolve are pure). */
  constructor(
    readonly history: readonly AccountEvent[],
    state?: AccountState,
  ) {
    this.folded = state;
  }

  get state(): AccountState {
    return (this.folded ??= foldAccount(this.history));
  }

  /** When this command is decided on the history's state (then folded, as the ledger does). */
  when(command: AccountCommand): Outcome {
    const before = this.state;
    const decision = decide(command, before, ctx);
    let state = before;
    for (const e of decision.events) state = evolve(state, e);
    return new Outcome(command, decision, [...this.history, ...decision.events], state);
  }
}

/** What one command recorded. Each `then…` checks it and returns it, so checks chain. */
export class Outcome {
  constructor(
    readonly command: AccountCommand,
    readonly decision: Decision,
    /** The given history and what this command recorded (on a refusal, what the clock owed). */
    readonly history: readonly AccountEvent[],
    readonly state: AccountState,
  ) {}

  get events(): AccountEvent[] {
    return this.decision.events;
  }

  /** Accepted, and recorded exactly these events, in this order (each on the fields it states). */
  then(...expected: Expected[]): this {
    this.mustBeAccepted();
    expect(this.events).toEqual(expected.map(matcher));
    return this;
  }

  /** Accepted, and recorded these events in this order, among others. */
  thenContains(...expected: Expected[]): this {
    this.mustBeAccepted();
    let from = 0;
    expected.forEach((x, k) => {
      const i = this.events.findIndex((e, j) => j >= from && matches(e, x));
      if (i < 0) {
        if (this.events.some((e) => matches(e, x))) {
          throw new Error(
            `${this.command.type}: ${x.type} ${JSON.stringify(x.data ?? {}, bigints)} is recorded, but before the ${expected[k - 1].type} expected first`,
          );
        }
        expect(this.events).toEqual(expect.arrayContaining([matcher(x)])); // jest's diff: what was recorded, and what is missing
      }
      from = i + 1;
    });
    return this;
  }

  /** Accepted, and recorded no event of these types. */
  thenRecordsNo(...types: AccountEventType[]): this {
    this.mustBeAccepted();
    expect(this.events.filter((e) => types.includes(e.type)).map((e) => e.type)).toEqual([]);
    return this;
  }

  /**
   * Refused with this error (or these fields of the rejection), and recorded exactly these
   * events still: what the clock owed by the command's `now` (none unless stated).
   */
  thenRejects(rejection: Rejection['error'] | Partial<Rejection>, ...stillRecorded: Expected[]): this {
    const wanted = typeof rejection === 'string' ? { error: rejection } : rejection;
    expect(this.decision.rejection).toEqual(expect.objectContaining(wanted));
    expect(this.events).toEqual(stillRecorded.map(matcher));
    return this;
  }

  /** The next command, given everything recorded so far. */
  when(command: AccountCommand): Outcome {
    return new Given(this.history, this.state).when(command);
  }

  private mustBeAccepted(): void {
    const r = this.decision.rejection;
    if (r) throw new Error(`${this.command.type} was refused: ${r.error}: ${r.message}`);
  }
}

/** The history these commands record on a new account; each must be accepted. */
export function recorded(...commands: AccountCommand[]): AccountEvent[] {
  let outcome = given();
  for (const command of commands) {
    const next = outcome.when(command);
    const r = next.decision.rejection;
    if (r) throw new Error(`given ${command.type} was refused: ${r.error}: ${r.message}`);
    outcome = new Given(next.history, next.state);
  }
  return [...outcome.history];
}

const bigints = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v);

export const ofType = <T extends AccountEventType>(events: readonly AccountEvent[], type: T): EventOf<T>[] =>
  events.filter((e): e is EventOf<T> => e.type === type);

// ---------------------------------------------------------------------------------------------
// Commands and amounts, as the specs write them.

export const at = (text: string): Instant => toInstant(text);
export const credits = (text: string): MicroCredits => parseCredits(text);

export const openAccount = (accountId: string, now: string): AccountCommand => ({
  type: 'OpenAccount',
  accountId,
  name: accountId,
  now: at(now),
});

export const startPlan = (
  plan: PlanId,
  now: string,
  options: { startsAt?: string; autoRenew?: boolean; allowOverage?: boolean; contract?: EnterpriseContract } = {},
): AccountCommand => {
  const { startsAt, ...rest } = options;
  return { type: 'StartPlan', plan, ...rest, ...(startsAt ? { startsAt: at(startsAt) } : {}), now: at(now) };
};

export const changePlanSettings = (
  wallet: WalletId,
  now: string,
  settings: { autoRenew?: boolean; allowOverage?: boolean },
): AccountCommand => ({
  type: 'ChangePlanSettings',
  wallet,
  ...settings,
  now: at(now),
});

export const cancelPlan = (wallet: WalletId, now: string): AccountCommand => ({ type: 'CancelPlan', wallet, now: at(now) });

export const advance = (now: string): AccountCommand => ({ type: 'Advance', now: at(now) });

export const usage = (kind: UsageKind, durationMs: number, when: string, id = `u-${when}-${kind}-${durationMs}`): Usage => ({
  ref: { source: 'test', id },
  kind,
  at: at(when),
  durationMs,
  jobId: id,
});

/** A usage record, charged as it arrives at its own time (a late one: `{ ...chargeUsage(…), now }`). */
export const chargeUsage = (kind: UsageKind, durationMs: number, when: string, id?: string): AccountCommand => ({
  type: 'ChargeUsage',
  usage: usage(kind, durationMs, when, id),
  now: at(when),
});

export const placeHold = (
  holdKey: string,
  kind: UsageKind,
  estimatedDurationMs: number,
  now: string,
  options: { ttlMs?: number; resolution?: Resolution } = {},
): AccountCommand => ({
  type: 'PlaceHold',
  holdKey,
  now: at(now),
  request: {
    kind,
    estimatedDurationMs,
    ttlMs: options.ttlMs ?? 3_600_000,
    ...(options.resolution ? { resolution: options.resolution } : {}),
  },
});

export const releaseHold = (holdId: string, now: string): AccountCommand => ({ type: 'ReleaseHold', holdId, now: at(now) });

export const renderFailed = (jobId: string, when: string): AccountCommand => ({
  type: 'NoteRenderFailed',
  ref: { source: 'test', id: `failed-${jobId}` },
  jobId,
  at: at(when),
  now: at(when),
});
