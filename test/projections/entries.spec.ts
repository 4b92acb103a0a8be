// The read models and the history route can never disagree about the ledger's entries: over
// random histories of several accounts (property-based), the entries the FinanceBatch collects
// from the stored log, by either reader's path (the SQL reader's page with a charge's fields
// extracted, or whole stored events), are the entries @ledger/domain entriesOf gives for the
// decoded events, at the same places (position, seq); and the history route's entries
// (reading/views.ts) are those, in the API's shape.
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import {
  AccountCommand,
  AccountEvent,
  AccountState,
  addMs,
  DEFAULT_BOOK,
  decide,
  decodeAccountEvent,
  encodeAccountEventData,
  EnterpriseContract,
  entriesOfEvent,
  evolve,
  formatCredits,
  initialAccountState,
  Instant,
  PlanId,
  UsageKind,
  WalletId,
} from '@ledger/domain';
import { RecordedEvent } from '@ledger/event-store';
import { FinanceBatch, LogEvent } from '@ledger/service/projections/finance-batch';
import { parsePage } from '@ledger/service/projections/log-reader';
import { entriesOf as entryViewsOf } from '@ledger/service/reading/views';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NUM_RUNS = 80;
const ctx = { book: DEFAULT_BOOK };

// ---------------------------------------------------------------------------------------------
// Random histories: a few accounts, their commands interleaved on one clock over some months.

type Act =
  | { t: 'start'; plan: PlanId; autoRenew?: boolean; allowOverage?: boolean; contract?: EnterpriseContract }
  | { t: 'cancel'; wallet: WalletId }
  | { t: 'settings'; wallet: WalletId; autoRenew?: boolean; allowOverage?: boolean }
  /** `backMs`: a late record, that long before the clock (0: on time). */
  | { t: 'charge'; kind: UsageKind; durations: number[]; backMs: number }
  | { t: 'failed'; backMs: number }
  | { t: 'advance' };

interface Step {
  account: number;
  dtMs: number;
  act: Act;
}
interface Plan {
  accounts: number;
  openAt: Instant;
  steps: Step[];
  pageSize: number;
  foreignEvery: number;
}

const optBool = fc.option(fc.boolean(), { nil: undefined });
const walletArb = fc.constantFrom<WalletId>('api', 'live_avatar');
const backArb = fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 40 * DAY }) });

const actArb: fc.Arbitrary<Act> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constant<Act>({ t: 'start', plan: 'api_pro' }),
      fc.record({ autoRenew: optBool, allowOverage: optBool }).map((o): Act => ({ t: 'start', plan: 'api_scale', ...o })),
      fc.record({ autoRenew: optBool, allowOverage: optBool }).map((o): Act => ({ t: 'start', plan: 'live_avatar', ...o })),
      fc
        .record({
          autoRenew: optBool,
          allowOverage: optBool,
          contract: fc.record({
            monthlyCredits: fc.constantFrom('0', '0.5', '50', '1000'),
            priceCents: fc.integer({ min: 0, max: 100_000 }),
            overageCentsPerCredit: fc.integer({ min: 0, max: 100 }),
          }),
        })
        .map((o): Act => ({ t: 'start', plan: 'api_enterprise', ...o })),
      fc.constant<Act>({ t: 'start', plan: 'api_free' }), // refused: changes nothing
    ),
  },
  { weight: 1, arbitrary: walletArb.map((wallet): Act => ({ t: 'cancel', wallet })) },
  {
    weight: 1,
    arbitrary: fc.record({ wallet: walletArb, autoRenew: optBool, allowOverage: optBool }).map((o): Act => ({ t: 'settings', ...o })),
  },
  {
    weight: 12,
    arbitrary: fc
      .record({
        kind: fc.constantFrom<UsageKind>(
          'avatar_video.unlimited',
          'avatar_video.avatar_iv',
          'video_translation',
          'proofreading',
          'streaming.api',
          'streaming.live_avatar_full',
          'streaming.live_avatar_custom',
        ),
        // Mostly one record; sometimes a burst of long ones at one instant (what runs a wallet dry).
        durations: fc.oneof(
          { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 1, max: 2 * HOUR })).map((d) => [...d]) },
          { weight: 1, arbitrary: fc.array(fc.integer({ min: 20 * 60_000, max: 2 * HOUR }), { minLength: 2, maxLength: 6 }) },
        ),
        backMs: backArb,
      })
      .map((c): Act => ({ t: 'charge', ...c })),
  },
  { weight: 1, arbitrary: backArb.map((backMs): Act => ({ t: 'failed', backMs })) },
  { weight: 2, arbitrary: fc.constant<Act>({ t: 'advance' }) },
);

const planArb: fc.Arbitrary<Plan> = fc.integer({ min: 1, max: 3 }).chain((accounts) =>
  fc.record({
    accounts: fc.constant(accounts),
    openAt: fc.integer({ min: 0, max: 365 * DAY - 1 }).map((o) => addMs('2026-01-01T00:00:00.000Z', o)),
    steps: fc.array(
      fc.record({
        account: fc.integer({ min: 0, max: accounts - 1 }),
        dtMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: DAY }), fc.integer({ min: DAY, max: 7 * DAY })),
        act: actArb,
      }),
      { minLength: 20, maxLength: 150 },
    ),
    pageSize: fc.integer({ min: 1, max: 64 }),
    foreignEvery: fc.integer({ min: 2, max: 20 }),
  }),
);

interface Logged {
  streamId: string;
  event: AccountEvent;
}

/** The log the plan makes: every account's accepted events, in the order they were recorded. */
function historyOf(plan: Plan): Logged[] {
  const log: Logged[] = [];
  const states: AccountState[] = [];
  const ids = Array.from({ length: plan.accounts }, (_x, i) => `acct_${i}`);
  const run = (i: number, cmd: AccountCommand) => {
    // As the writer records it: a refused command still records what the clock owed.
    const out = decide(cmd, states[i], ctx);
    for (const e of out.events) {
      states[i] = evolve(states[i], e);
      log.push({ streamId: `account-${ids[i]}`, event: e });
    }
  };
  let clock = plan.openAt;
  ids.forEach((accountId, i) => {
    states.push(initialAccountState());
    run(i, { type: 'OpenAccount', accountId, name: accountId, now: clock });
  });
  const back = (ms: number) => (ms === 0 ? clock : addMs(clock, -ms) < plan.openAt ? plan.openAt : addMs(clock, -ms));
  plan.steps.forEach((step, n) => {
    clock = addMs(clock, step.dtMs);
    const i = step.account;
    const a = step.act;
    switch (a.t) {
      case 'start': {
        const { t: _t, ...rest } = a;
        return run(i, { type: 'StartPlan', ...rest, now: clock });
      }
      case 'cancel':
        return run(i, { type: 'CancelPlan', wallet: a.wallet, now: clock });
      case 'settings':
        return run(i, { type: 'ChangePlanSettings', wallet: a.wallet, autoRenew: a.autoRenew, allowOverage: a.allowOverage, now: clock });
      case 'charge':
        return a.durations.forEach((durationMs, k) =>
          run(i, {
            type: 'ChargeUsage',
            now: clock,
            usage: { ref: { source: 'pbt', id: `u${n}-${k}` }, kind: a.kind, at: back(a.backMs), durationMs, jobId: `job${n}-${k}` },
          }),
        );
      case 'failed':
        return run(i, { type: 'NoteRenderFailed', ref: { source: 'pbt', id: `f${n}` }, jobId: `job${n}`, at: back(a.backMs), now: clock });
      case 'advance':
        return run(i, { type: 'Advance', now: clock });
    }
  });
  // Some months later: every expiry and period end due by then.
  clock = addMs(clock, 100 * DAY);
  ids.forEach((_id, i) => run(i, { type: 'Advance', now: clock }));
  return log;
}

// ---------------------------------------------------------------------------------------------
// The stored log, as each reader gives it to the FinanceBatch.

interface Stored {
  position: bigint;
  streamId: string;
  type: string;
  data: Record<string, unknown>;
}

/** The events as the store keeps them (amounts as decimal strings), with other streams' events between them. */
function storedLog(history: Logged[], foreignEvery: number): Stored[] {
  const out: Stored[] = [];
  const append = (streamId: string, type: string, data: Record<string, unknown>) =>
    out.push({ position: BigInt(out.length + 1), streamId, type, data });
  history.forEach((h, n) => {
    if (n % foreignEvery === 0) append(`usage-${n}`, 'UsageAccepted', { ref: { source: 'pbt', id: `x${n}` }, at: h.event.data.at });
    append(h.streamId, h.event.type, encodeAccountEventData(h.event));
  });
  return out;
}

/** A page as SqlLogReader.readPage has the database write it: a UsageCharged as its extracted fields, any other event whole. */
function rawPage(events: Stored[]) {
  const text = events
    .map((e) => {
      const d = e.data as any;
      return e.type === 'UsageCharged'
        ? [
            e.position,
            JSON.stringify(e.streamId),
            'UsageCharged',
            d.wallet,
            d.periodId ?? '',
            d.at,
            d.usage.kind,
            d.usage.durationMs,
            d.priced.credits,
            d.overage,
            d.uncovered,
            JSON.stringify(d.draws),
          ].join('\t')
        : [e.position, JSON.stringify(e.streamId), JSON.stringify(e.type), JSON.stringify(e.data)].join('\t');
    })
    .join('\n');
  const after = events[0].position - 1n;
  return { text, after: after.toString(), count: events.length, last: events[events.length - 1].position.toString(), contiguous: true };
}

interface Row {
  position: bigint;
  seq: number;
  accountId: string;
  kind: string;
  wallet: string;
  at: string;
  credits: bigint;
  lotId: string | null;
  periodId: string | null;
  usageKind: string | null;
  reason: string | null;
}

/** The entries a FinanceBatch collected, a row each. */
function collected(batch: FinanceBatch): Row[] {
  const c = batch.entries;
  return c.position.map((position, i) => ({
    position,
    seq: c.seq[i],
    accountId: c.accountId[i],
    kind: c.kind[i],
    wallet: c.wallet[i],
    at: c.at[i],
    credits: c.credits[i],
    lotId: c.lotId[i],
    periodId: c.periodId[i],
    usageKind: c.usageKind[i],
    reason: c.reason[i],
  }));
}

function viaSqlReader(log: Stored[], pageSize: number): Row[] {
  const batch = new FinanceBatch();
  for (let i = 0; i < log.length; i += pageSize) for (const e of parsePage(rawPage(log.slice(i, i + pageSize)))) batch.add(e);
  return collected(batch);
}

function viaStoreReader(log: Stored[]): Row[] {
  const batch = new FinanceBatch();
  for (const e of log) batch.add({ position: e.position, streamId: e.streamId, type: e.type, data: e.data } satisfies LogEvent);
  return collected(batch);
}

/** What the domain says: the entries of every decoded account event of the log, at its position. */
function ofDecodedEvents(log: Stored[]): Row[] {
  return log
    .filter((e) => e.streamId.startsWith('account-'))
    .flatMap((e) =>
      entriesOfEvent(decodeAccountEvent(e.type, e.data)).map((x) => ({
        position: e.position,
        accountId: e.streamId.slice('account-'.length),
        ...x,
      })),
    )
    .map(({ position, seq, accountId, kind, wallet, at, credits, lotId, periodId, usageKind, reason }) => ({
      position,
      seq,
      accountId,
      kind,
      wallet,
      at,
      credits,
      lotId,
      periodId,
      usageKind,
      reason,
    }));
}

/** Deep equality with jest's diff only when it fails (cheaper than expect() in a property's loop). */
function mustEqual(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toEqual(expected);
}

// ---------------------------------------------------------------------------------------------

describe('the ledger entries, derived once (property-based)', () => {
  it('the FinanceBatch collects the entries the domain gives for the decoded events, by either reader', () => {
    const kinds = new Map<string, number>();
    fc.assert(
      fc.property(planArb, (plan) => {
        const log = storedLog(historyOf(plan), plan.foreignEvery);
        const expected = ofDecodedEvents(log);
        mustEqual(viaSqlReader(log, plan.pageSize), expected);
        mustEqual(viaStoreReader(log), expected);
        for (const x of expected) kinds.set(x.kind, (kinds.get(x.kind) ?? 0) + 1);
      }),
      { numRuns: NUM_RUNS },
    );
    // The histories do reach every kind of entry.
    expect([...kinds.keys()].sort()).toEqual(['charge', 'correction', 'expiry', 'forfeit', 'grant', 'overage', 'uncovered']);
  });

  it('the history route shows, at each place, the entry the read model stores there', () => {
    fc.assert(
      fc.property(planArb, (plan) => {
        const log = storedLog(historyOf(plan), plan.foreignEvery);
        const stored = viaSqlReader(log, plan.pageSize);
        const shown = log
          .filter((e) => e.streamId.startsWith('account-'))
          .flatMap((e) => {
            const recorded: RecordedEvent = {
              streamId: e.streamId,
              streamVersion: 1,
              globalPosition: e.position,
              type: e.type,
              data: e.data,
              metadata: {},
              recordedAt: new Date(0),
            };
            return entryViewsOf(decodeAccountEvent(e.type, e.data), recorded).map((v, seq) => ({ v, seq }));
          });
        mustEqual(
          shown.map(({ v, seq }) => [v.position, seq, v.kind, v.wallet, v.at, v.credits]),
          stored.map((r) => [r.position.toString(), r.seq, r.kind, r.wallet, r.at, formatCredits(r.credits)]),
        );
        // And what the API names beside the amount: the lot, the period, why.
        shown.forEach(({ v }, i) => {
          const r = stored[i];
          const x = v as Record<string, unknown>;
          if (r.lotId !== null) mustEqual(x.lotId, r.lotId);
          if (r.kind !== 'charge' && r.periodId !== null) mustEqual(x.periodId, r.periodId);
          if (r.kind === 'forfeit') mustEqual(x.reason, r.reason);
          if (r.kind === 'correction') mustEqual(x.corrects, r.reason);
          if (r.usageKind !== null) mustEqual((x.usage as { kind: string }).kind, r.usageKind);
        });
      }),
      { numRuns: NUM_RUNS / 2 },
    );
  });
});
