// Property-based tests of the account decider: random command histories over about six months,
// and the ledger's invariants stated in its own words. Every command is decided as the ledger's
// writer decides it (`decideInPlace` on the state it owns) and all its events are recorded: a
// refused command records what the clock owed. The last properties hold `decide` and `evolve`,
// the pure contract, to the same decisions, and to leaving what they are given as it was.
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { DEFAULT_CATALOG, EnterpriseContract, PlanId, UsageKind, WalletId, WALLETS } from '../catalog/catalog';
import { sumCredits } from '../credits/credits';
import { Usage } from '../pricing/usage';
import { addDays, addMs, Instant, monthOf, ms } from '../time/instant';
import { balanceAt } from './balance';
import { AccountCommand } from './commands';
import { decide, decideInPlace, Decision, nextDeadline } from './decide';
import { AccountEvent, Invoice } from './events';
import { invoiceNumber } from './invoices';
import { lotClosesAt } from './lots';
import { ctx } from './spec-helpers';
import { AccountState, evolve, foldAccount, initialAccountState, Lot, lotRemaining } from './state';

const ACCOUNT = 'acct_pbt';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SIX_MONTHS_DAYS = 183;
const settings = DEFAULT_CATALOG.settings;
const NUM_RUNS = 120;

const USAGE_KINDS: readonly UsageKind[] = [
  'avatar_video.unlimited',
  'avatar_video.avatar_iv',
  'video_translation',
  'proofreading',
  'streaming.api',
  'streaming.live_avatar_full',
  'streaming.live_avatar_custom',
];

// ---------------------------------------------------------------------------------------------
// What a run is made of: abstract steps, made concrete against the clock and the history so far.

type When =
  | { kind: 'now' }
  /** A late record: its time lies up to ~40 days in the past. */
  | { kind: 'back'; ms: number }
  /** A late record at (or a millisecond around) the time of an event already recorded. */
  | { kind: 'atEvent'; index: number; deltaMs: -1 | 0 | 1 };

type Act =
  | { t: 'start'; plan: PlanId; autoRenew?: boolean; allowOverage?: boolean; contract?: EnterpriseContract }
  | { t: 'cancel'; wallet: WalletId }
  | { t: 'settings'; wallet: WalletId; autoRenew?: boolean; allowOverage?: boolean }
  | { t: 'charge'; kind: UsageKind; durationMs: number; when: When }
  | { t: 'burst'; kind: UsageKind; durations: number[]; when: When }
  | { t: 'advance' }
  /** Advance exactly to the next pending expiry or period end, or a millisecond around it. */
  | { t: 'advanceToDeadline'; deltaMs: -1 | 0 | 1 };

interface Step {
  dtMs: number;
  act: Act;
}
/** ticks: where, between two commands, a timer may run (per mille of the gap; -1: no timer). */
interface Plan {
  openAt: Instant;
  steps: Step[];
  ticks: number[];
}

const optBool = fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false), fc.constant(undefined));

const contractArb: fc.Arbitrary<EnterpriseContract> = fc
  .record({
    monthlyCredits: fc.oneof(fc.constantFrom('0', '0.5', '50', '1000', '5000'), fc.integer({ min: 1, max: 3000 }).map(String)),
    priceCents: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500_000 })),
    overageCentsPerCredit: fc.integer({ min: 0, max: 200 }),
    maxVideoLengthMs: fc.option(fc.integer({ min: 1_000, max: 4 * HOUR }), { nil: undefined }),
  })
  .map((c) =>
    c.maxVideoLengthMs === undefined
      ? { monthlyCredits: c.monthlyCredits, priceCents: c.priceCents, overageCentsPerCredit: c.overageCentsPerCredit }
      : c,
  );

const startArb: fc.Arbitrary<Act> = fc.oneof(
  fc.constant<Act>({ t: 'start', plan: 'api_pro' }),
  fc.record({ autoRenew: optBool, allowOverage: optBool }).map((o): Act => ({ t: 'start', plan: 'api_scale', ...o })),
  fc.record({ autoRenew: optBool, allowOverage: optBool }).map((o): Act => ({ t: 'start', plan: 'live_avatar', ...o })),
  fc
    .record({ autoRenew: optBool, allowOverage: optBool, contract: contractArb })
    .map((o): Act => ({ t: 'start', plan: 'api_enterprise', ...o })),
  // Refused (no contract, or a setting the plan does not allow): must change nothing.
  fc.constant<Act>({ t: 'start', plan: 'api_enterprise' }),
  fc.constant<Act>({ t: 'start', plan: 'api_pro', autoRenew: true }),
  fc.constant<Act>({ t: 'start', plan: 'api_free' }),
);

const walletArb = fc.constantFrom<WalletId>('api', 'live_avatar');

const whenArb: fc.Arbitrary<When> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<When>({ kind: 'now' }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 40 * DAY }).map((b): When => ({ kind: 'back', ms: b })) },
  {
    weight: 1,
    arbitrary: fc.record({ index: fc.nat(), deltaMs: fc.constantFrom<-1 | 0 | 1>(-1, 0, 1) }).map((x): When => ({ kind: 'atEvent', ...x })),
  },
);

const durationArb = fc.oneof(
  fc.integer({ min: 1, max: 120_000 }),
  fc.integer({ min: 1, max: 2 * HOUR }),
  fc.constantFrom(1, 999, 1_000, 29_999, 30_000, 2 * HOUR),
);
/** Long renders and sessions: what runs a wallet dry, into overage and auto-renewal. */
const heavyDurationArb = fc.integer({ min: 20 * 60_000, max: 2 * HOUR });

const chargeArb: fc.Arbitrary<Act> = fc
  .record({ kind: fc.constantFrom(...USAGE_KINDS), durationMs: durationArb, when: whenArb })
  .map((c): Act => ({ t: 'charge', ...c }));

/** Several heavy records at one instant: "however many usage records cross the line at the same moment". */
const burstArb: fc.Arbitrary<Act> = fc
  .record({
    kind: fc.constantFrom<UsageKind>(
      'avatar_video.avatar_iv',
      'video_translation',
      'streaming.live_avatar_full',
      'streaming.live_avatar_custom',
    ),
    durations: fc.array(heavyDurationArb, { minLength: 2, maxLength: 8 }),
    when: whenArb,
  })
  .map((b): Act => ({ t: 'burst', ...b }));

const actArb: fc.Arbitrary<Act> = fc.oneof(
  { weight: 3, arbitrary: startArb },
  { weight: 1, arbitrary: walletArb.map((wallet): Act => ({ t: 'cancel', wallet })) },
  {
    weight: 1,
    arbitrary: fc.record({ wallet: walletArb, autoRenew: optBool, allowOverage: optBool }).map((o): Act => ({ t: 'settings', ...o })),
  },
  { weight: 12, arbitrary: chargeArb },
  { weight: 2, arbitrary: burstArb },
  { weight: 2, arbitrary: fc.constant<Act>({ t: 'advance' }) },
  { weight: 1, arbitrary: fc.constantFrom<-1 | 0 | 1>(-1, 0, 1).map((deltaMs): Act => ({ t: 'advanceToDeadline', deltaMs })) },
);

/** Time moves forward, mostly by small steps, sometimes by days; never backwards. */
const dtArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: HOUR }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: DAY }) },
  { weight: 3, arbitrary: fc.integer({ min: DAY, max: 7 * DAY }) },
);

const openAtArb: fc.Arbitrary<Instant> = fc.oneof(
  // Any millisecond of 2026.
  fc.integer({ min: 0, max: 365 * DAY - 1 }).map((o) => addMs('2026-01-01T00:00:00.000Z', o)),
  // Month ends, where "one month later" is clamped and 30 days is not a month.
  fc.constantFrom(
    '2026-01-31T00:00:00.000Z',
    '2026-01-30T12:00:00.000Z',
    '2026-02-28T23:59:59.999Z',
    '2026-03-31T23:00:00.000Z',
    '2026-12-31T00:00:00.000Z',
  ),
);

const planArb: fc.Arbitrary<Plan> = fc.record({
  openAt: openAtArb,
  steps: fc.array(fc.record({ dtMs: dtArb, act: actArb }), { minLength: 30, maxLength: 130 }),
  ticks: fc.array(fc.oneof(fc.constant(-1), fc.constant(0), fc.constant(1000), fc.integer({ min: 0, max: 1000 })), {
    minLength: 1,
    maxLength: 50,
  }),
});

// ---------------------------------------------------------------------------------------------
// Running a plan.

/** An account as the ledger's writer keeps it: it owns `state`, and records every event decided. */
class Account {
  readonly state: AccountState = initialAccountState();
  readonly history: AccountEvent[] = [];

  submit(cmd: AccountCommand): Decision {
    const decision = decideInPlace(cmd, this.state, ctx);
    this.history.push(...decision.events);
    return decision;
  }
}

interface Run {
  account: Account;
  commands: AccountCommand[];
  decisions: Decision[];
  openAt: Instant;
  end: Instant;
}

const latest = (a: Instant, b: Instant) => (a >= b ? a : b);

function toCommands(act: Act, now: Instant, s: Account, openAt: Instant, n: number): AccountCommand[] {
  if (act.t === 'burst') {
    return act.durations.flatMap((durationMs, i) =>
      toCommands({ t: 'charge', kind: act.kind, durationMs, when: act.when }, now, s, openAt, n * 100 + i),
    );
  }
  return [toCommand(act, now, s, openAt, n)];
}

function toCommand(act: Exclude<Act, { t: 'burst' }>, now: Instant, s: Account, openAt: Instant, n: number): AccountCommand {
  switch (act.t) {
    case 'start': {
      const { t: _t, ...rest } = act;
      return { type: 'StartPlan', ...rest, now };
    }
    case 'cancel':
      return { type: 'CancelPlan', wallet: act.wallet, now };
    case 'settings':
      return { type: 'ChangePlanSettings', wallet: act.wallet, autoRenew: act.autoRenew, allowOverage: act.allowOverage, now };
    case 'advance':
      return { type: 'Advance', now };
    case 'advanceToDeadline': {
      const d = nextDeadline(s.state);
      return { type: 'Advance', now: d ? latest(now, addMs(d.at, act.deltaMs)) : now };
    }
    case 'charge': {
      let at = now;
      if (act.when.kind === 'back') at = latest(openAt, addMs(now, -act.when.ms));
      if (act.when.kind === 'atEvent' && s.history.length > 0) {
        const e = s.history[act.when.index % s.history.length];
        const t = addMs(e.data.at, act.when.deltaMs);
        at = t > now ? now : latest(openAt, t);
      }
      const usage: Usage = { ref: { source: 'pbt', id: `u${n}` }, kind: act.kind, at, durationMs: act.durationMs, jobId: `job${n}` };
      return { type: 'ChargeUsage', usage, now };
    }
  }
}

/** Runs the plan; `check` sees the decision and the state after every command. */
function run(plan: Plan, check: (state: AccountState, decision: Decision, cmd: AccountCommand) => void = () => undefined): Run {
  const account = new Account();
  const commands: AccountCommand[] = [];
  const decisions: Decision[] = [];
  const exec = (cmd: AccountCommand) => {
    commands.push(cmd);
    const decision = account.submit(cmd);
    decisions.push(decision);
    check(account.state, decision, cmd);
  };
  exec({ type: 'OpenAccount', accountId: ACCOUNT, name: 'PBT', now: plan.openAt });
  let clock = plan.openAt;
  plan.steps.forEach((step, i) => {
    clock = addMs(clock, step.dtMs);
    for (const cmd of toCommands(step.act, clock, account, plan.openAt, i)) {
      if (cmd.now > clock) clock = cmd.now;
      exec(cmd);
    }
  });
  // About six months of simulated time, whatever the steps added up to.
  const end = latest(clock, addDays(plan.openAt, SIX_MONTHS_DAYS));
  exec({ type: 'Advance', now: end });
  return { account, commands, decisions, openAt: plan.openAt, end };
}

/** Re-runs recorded commands on a fresh account. */
function rerun(commands: AccountCommand[]): Decision[] {
  const account = new Account();
  return commands.map((c) => account.submit(c));
}

const ofType = <T extends AccountEvent['type']>(events: readonly AccountEvent[], type: T) =>
  events.filter((e): e is Extract<AccountEvent, { type: T }> => e.type === type);

const allLots = (s: AccountState): Lot[] => WALLETS.flatMap((w) => s.wallets[w].lots);

const invoices = (events: readonly AccountEvent[]): Invoice[] => ofType(events, 'InvoiceIssued').map((e) => e.data.invoice);

// Instants at which to read balances: around every grant, expiry and closure, and every event time.
function balanceInstants(r: Run): Instant[] {
  const out = new Set<Instant>([r.openAt, r.end]);
  for (const lot of allLots(r.account.state)) {
    out.add(lot.issuedAt);
    out.add(lot.expiresAt);
    out.add(addMs(lot.expiresAt, -1));
    out.add(lotClosesAt(lot));
    out.add(addMs(lotClosesAt(lot), -1));
  }
  const h = r.account.history;
  const stride = Math.max(1, Math.floor(h.length / 20));
  for (let i = 0; i < h.length; i += stride) out.add(h[i].data.at);
  return [...out].sort();
}

const params = { numRuns: NUM_RUNS };

/** A failed invariant, said in the ledger's words (cheaper than expect() in hot loops). */
function must(ok: boolean, why: () => string): void {
  if (!ok) throw new Error(why());
}

const show = (x: unknown): string => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

function mustBeBalanced(lot: Lot, where: string): void {
  const parts = {
    granted: lot.granted,
    remaining: lotRemaining(lot),
    charged: lot.charged,
    expired: lot.expired,
    forfeited: lot.forfeited,
  };
  must(
    parts.remaining >= 0n && parts.charged >= 0n && parts.expired >= 0n && parts.forfeited >= 0n,
    () => `${where}: lot ${lot.lotId} is negative: ${show(parts)}`,
  );
  must(
    parts.remaining + parts.charged + parts.expired + parts.forfeited === parts.granted,
    () => `${where}: lot ${lot.lotId} does not add up: ${show(parts)}`,
  );
}

/**
 * The same plain data, field for field (a field set to undefined counts), whatever realm made it:
 * jest's objects and those structuredClone makes have different prototypes.
 */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Deep equality with jest's diff only when it fails. */
function mustEqual(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toEqual(expected);
}

const count = <K>(keys: Iterable<K>): Map<K, number> => {
  const m = new Map<K, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
};

// ---------------------------------------------------------------------------------------------

describe('the ledger over six months of random commands (property-based)', () => {
  it('no lot is ever negative: granted = remaining + charged + expired + forfeited, each >= 0', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const r = run(plan, (state, _decision, cmd) => {
          for (const lot of allLots(state)) mustBeBalanced(lot, `after ${cmd.type} at ${cmd.now}`);
        });
        // And as history stood at any instant.
        for (const asOf of balanceInstants(r)) {
          const s = foldAccount(r.account.history.filter((e) => e.data.at <= asOf));
          for (const lot of allLots(s)) mustBeBalanced(lot, `as of ${asOf}`);
        }
      }),
      params,
    );
  });

  it('the same history always gives the same balance', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const r = run(plan);
        const history = r.account.history;
        // Folding the recorded events again gives the state kept while deciding, even from copies of the events.
        mustEqual(foldAccount(history), r.account.state);
        mustEqual(foldAccount(structuredClone(history)), r.account.state);
        // A balance read twice is the same balance.
        for (const asOf of balanceInstants(r).filter((_x, i) => i % 4 === 0)) {
          mustEqual(balanceAt(ACCOUNT, history, asOf), balanceAt(ACCOUNT, history, asOf));
        }
        // The same commands on a fresh account record the same events and refuse the same commands.
        mustEqual(rerun(r.commands), r.decisions);
      }),
      params,
    );
  });

  it('every charge is fully accounted for: draws + overage + uncovered = priced credits, none negative', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const r = run(plan);
        for (const c of ofType(r.account.history, 'UsageCharged')) {
          const d = c.data;
          must(
            d.priced.credits > 0n && d.overage >= 0n && d.uncovered >= 0n && d.draws.every((x) => x.credits > 0n),
            () => `usage ${d.usage.ref.id} has a negative or empty part: ${show(d)}`,
          );
          must(
            sumCredits(d.draws.map((x) => x.credits)) + d.overage + d.uncovered === d.priced.credits,
            () => `usage ${d.usage.ref.id}: draws + overage + uncovered != priced: ${show(d)}`,
          );
          must(d.overage === 0n || d.periodId !== null, () => `usage ${d.usage.ref.id} has overage outside any period`);
        }
      }),
      params,
    );
  });

  it('a period renews at most once, and a wallet renews at most autoRenewCapPerMonth times in a calendar month', () => {
    let renewals = 0;
    fc.assert(
      fc.property(planArb, (plan) => {
        const history = run(plan).account.history;
        const endedByRenewal = count(
          ofType(history, 'PeriodEnded')
            .filter((e) => e.data.reason === 'renewal')
            .map((e) => e.data.periodId),
        );
        for (const [periodId, n] of endedByRenewal) must(n === 1, () => `period ${periodId} renewed ${n} times`);
        const started = ofType(history, 'PeriodStarted').filter((e) => e.data.reason === 'renewal');
        renewals += started.length;
        // Each renewal that ends a period starts exactly one.
        must(
          started.length === endedByRenewal.size,
          () => `${endedByRenewal.size} periods ended by renewal, ${started.length} renewals started`,
        );
        for (const [key, n] of count(started.map((e) => `${e.data.wallet} ${monthOf(e.data.startsAt)}`))) {
          must(n <= settings.autoRenewCapPerMonth, () => `${n} renewals in ${key} (cap ${settings.autoRenewCapPerMonth})`);
        }
      }),
      params,
    );
    // The generator does reach auto-renewal.
    expect(renewals).toBeGreaterThan(0);
  });

  it('invoice numbers are unique and gap-free, totals add up, and a period has at most one overage invoice', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const history = run(plan).account.history;
        const issued = invoices(history);
        mustEqual(
          issued.map((i) => i.number),
          issued.map((_i, n) => invoiceNumber(ACCOUNT, n + 1)),
        );
        const byNumber = new Map(issued.map((i) => [i.number, i]));
        must(byNumber.size === issued.length, () => 'an invoice number was used twice');
        for (const inv of issued) {
          must(inv.accountId === ACCOUNT, () => `${inv.number} belongs to ${inv.accountId}`);
          must(
            inv.lines.length > 0 && inv.totalCents === inv.lines.reduce((t, l) => t + l.amountCents, 0n),
            () => `${inv.number}: total is not the sum of its lines: ${show(inv)}`,
          );
          // A contract may price a period with no credits; overage is only invoiced when there is some.
          must(
            inv.lines.every((l) => l.amountCents >= 0n && l.quantity >= (inv.kind === 'overage' ? 1n : 0n)),
            () => `${inv.number} has a line with a negative or empty amount: ${show(inv)}`,
          );
          if (inv.supplements) {
            // A supplementary invoice adds to an earlier overage invoice of the same period.
            const base = byNumber.get(inv.supplements);
            must(
              !!base && base.kind === 'overage' && base.periodId === inv.periodId && base.number < inv.number && !base.supplements,
              () => `${inv.number} supplements ${inv.supplements}, which is not an earlier overage invoice of ${inv.periodId}`,
            );
          }
        }
        const key = (i: { wallet: string; periodId: string }) => `${i.wallet}/${i.periodId}`;
        for (const [k, n] of count(issued.filter((i) => i.kind === 'overage' && !i.supplements).map(key))) {
          must(n === 1, () => `period ${k} has ${n} overage invoices`);
        }
        // Each period that costs something is invoiced once, when it starts; one that costs nothing is not.
        const planInvoices = count(issued.filter((i) => i.kind === 'plan').map(key));
        for (const e of ofType(history, 'PeriodStarted')) {
          const n = planInvoices.get(key(e.data)) ?? 0;
          must(
            n === (e.data.terms.priceCents > 0n ? 1 : 0),
            () => `period ${key(e.data)} at ${e.data.terms.priceCents} cents has ${n} plan invoices`,
          );
        }
      }),
      params,
    );
  });

  it('a balance never shows a lot at or after its expiry, and never shows negative credits', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const r = run(plan);
        for (const asOf of balanceInstants(r)) {
          const b = balanceAt(ACCOUNT, r.account.history, asOf);
          for (const wallet of WALLETS) {
            const wb = b.wallets[wallet];
            for (const lot of wb.lots) {
              must(
                lot.issuedAt <= asOf && asOf < lot.expiresAt,
                () => `balance as of ${asOf} shows lot ${lot.lotId} (${lot.issuedAt} .. ${lot.expiresAt})`,
              );
              must(lot.remaining >= 0n, () => `balance as of ${asOf} shows lot ${lot.lotId} at ${lot.remaining}`);
            }
            must(
              wb.available >= 0n && wb.available === sumCredits(wb.lots.map((l) => l.remaining)),
              () => `balance as of ${asOf}: ${wallet} available ${wb.available} (lots ${show(wb.lots)})`,
            );
            must(
              wb.overage >= 0n && wb.uncovered >= 0n,
              () => `balance as of ${asOf}: ${wallet} overage ${wb.overage}, uncovered ${wb.uncovered}`,
            );
          }
        }
      }),
      params,
    );
  });

  it('a balance never depends on whether a timer already ran', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const lazy = run(plan);
        // The same commands, with Advance run by a timer at instants between them.
        const timed = new Account();
        lazy.commands.forEach((cmd, i) => {
          timed.submit(cmd);
          const next = lazy.commands[i + 1];
          const tick = plan.ticks[i % plan.ticks.length];
          if (next && tick >= 0)
            timed.submit({ type: 'Advance', now: addMs(cmd.now, Math.floor(((ms(next.now) - ms(cmd.now)) * tick) / 1000)) });
        });
        for (const asOf of balanceInstants(lazy).filter((_x, i) => i % 2 === 0)) {
          mustEqual(balanceAt(ACCOUNT, timed.history, asOf), balanceAt(ACCOUNT, lazy.account.history, asOf));
        }
        mustEqual(invoices(timed.history), invoices(lazy.account.history));
      }),
      params,
    );
  });

  it('when a paid plan replaces api_free, only what is left of the free grant is forfeited', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const { state, history } = run(plan).account;
        for (const e of ofType(history, 'LotForfeited')) {
          const w = state.wallets[e.data.wallet];
          const lot = w.lots.find((l) => l.lotId === e.data.lotId)!;
          const period = w.periods.find((p) => p.periodId === lot.periodId)!;
          if (e.data.reason === 'replaced_free') {
            must(
              period.terms.plan === 'api_free',
              () => `lot ${lot.lotId} of ${period.terms.plan} period ${period.periodId} was forfeited as a free grant at ${e.data.at}`,
            );
          } else {
            must(
              period.endReason === 'renewal' && period.endedAt === e.data.at,
              () =>
                `lot ${lot.lotId} was forfeited for a renewal at ${e.data.at}, but its period ${period.periodId} ended ${period.endedAt} (${period.endReason})`,
            );
          }
        }
      }),
      params,
    );
  });

  it('a usage record draws only from lots that were spendable at its time, and is charged to the period that ran then', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const r = run(plan);
        const state = r.account.state;
        for (const c of ofType(r.account.history, 'UsageCharged')) {
          const d = c.data;
          const w = state.wallets[d.wallet];
          for (const draw of d.draws) {
            const lot = w.lots.find((l) => l.lotId === draw.lotId)!;
            // A record at the very instant of a forfeit was charged before it (the crossing record of a renewal).
            const closes = lot.closure?.kind === 'forfeit' ? lot.closure.at : undefined;
            must(
              lot.issuedAt <= d.at && d.at < lot.expiresAt && (!closes || d.at <= closes),
              () =>
                `usage ${d.usage.ref.id} at ${d.at} drew from lot ${lot.lotId} (${lot.issuedAt} .. ${lot.expiresAt}, closure ${show(lot.closure)})`,
            );
          }
          if (d.periodId) {
            const p = w.periods.find((x) => x.periodId === d.periodId)!;
            must(
              p.startsAt <= d.at && (p.endedAt ? d.at <= p.endedAt : d.at < p.endsAt),
              () => `usage ${d.usage.ref.id} at ${d.at} was charged to period ${p.periodId} (${p.startsAt} .. ${p.endedAt ?? p.endsAt})`,
            );
          }
        }
      }),
      params,
    );
  });

  it('a refused command records only what the clock owed by its now: expiries, period ends and what they start', () => {
    let refusedWithFacts = 0;
    fc.assert(
      fc.property(planArb, (plan) => {
        run(plan, (_state, decision, cmd) => {
          if (!decision.rejection) return;
          if (decision.events.length) refusedWithFacts++;
          for (const e of decision.events) {
            const owed =
              e.type === 'LotExpired' ||
              e.type === 'CreditsGranted' ||
              e.type === 'InvoiceIssued' ||
              ((e.type === 'PeriodEnded' || e.type === 'PeriodStarted') && e.data.reason === 'boundary');
            must(
              owed && e.data.at <= cmd.now,
              () =>
                `${cmd.type} at ${cmd.now} was refused (${decision.rejection!.error}) but recorded ${e.type} at ${e.data.at}: ${show(e.data)}`,
            );
          }
        });
      }),
      params,
    );
    // The generator does reach refusals that still record something.
    expect(refusedWithFacts).toBeGreaterThan(0);
  });

  it('decide never changes the state it is given, and evolve never changes its argument', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const { commands } = run(plan);
        // Every state and event seen, with a copy taken at once: none may change, then or later.
        const seen: Array<[unknown, unknown, () => string]> = [];
        let state = initialAccountState();
        for (const cmd of commands) {
          seen.push([state, structuredClone(state), () => `the state given to decide(${cmd.type} at ${cmd.now})`]);
          const { events } = decide(cmd, state, ctx);
          seen.push([events, structuredClone(events), () => `the events of ${cmd.type} at ${cmd.now}`]);
          for (const e of events) {
            const next = evolve(state, e);
            must(next !== state, () => `evolve(${e.type} at ${e.data.at}) returned the state it was given`);
            seen.push([next, structuredClone(next), () => `the state evolve(${e.type} at ${e.data.at}) returned`]);
            state = next;
          }
        }
        for (const [now, copy, what] of seen) must(sameData(now, copy), () => `${what()} changed afterwards`);
      }),
      params,
    );
  });

  it("the writer's fast path is the same contract: decide then evolve give the decisions and the state decideInPlace gave", () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const { account, commands, decisions } = run(plan);
        let state = initialAccountState();
        commands.forEach((cmd, i) => {
          const decision = decide(cmd, state, ctx);
          mustEqual(decision, decisions[i]);
          for (const e of decision.events) state = evolve(state, e);
        });
        mustEqual(state, account.state);
      }),
      params,
    );
  });
});
