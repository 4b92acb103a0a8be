// The account decider: decide(command, state) -> what is recorded (and why not, if refused).
// Pure: the clock and the catalog are arguments. Each step records an event and folds it at
// once, so later steps see its effect.
import { CatalogBook, catalogAt, catalogVersion, PlanTerms, planTerms, RESOLUTIONS, WalletId, WALLETS } from '../catalog/catalog';
import { price } from '../pricing/price';
import { Usage, walletOfKind } from '../pricing/usage';
import { sumCredits } from '../credits/credits';
import { addDays, addMs, addMonths, Instant, latest, monthOf } from '../time/instant';
import { authorize } from './authorize';
import { AccountCommand, reject, Rejection } from './commands';
import { AccountEvent, HoldRequest, PeriodEndReason, PeriodStartReason, ReviewFlag } from './events';
import { heldAt, holdIdOf, openHoldOfKey } from './holds';
import { overageInvoice, planInvoice } from './invoices';
import { burn, drawableAt, lotClosesAt, spendableLots } from './lots';
import {
  AccountState,
  cloneAccountState,
  evolveInPlace,
  findLot,
  findPeriod,
  lotRemaining,
  openPeriod,
  Period,
  periodAt,
  Wallet,
} from './state';

export interface DecideContext {
  book: CatalogBook;
}

class Recorder {
  readonly events: AccountEvent[] = [];
  constructor(
    public state: AccountState,
    readonly ctx: DecideContext,
  ) {}
  record(e: AccountEvent): void {
    this.events.push(e);
    this.state = evolveInPlace(this.state, e);
  }
  get accountId(): string {
    return this.state.accountId!;
  }
  get settings() {
    return this.ctx.book[this.ctx.book.length - 1].settings;
  }
}

/**
 * What a command records. `events` are the facts to append to the account's stream, in order.
 * With a `rejection` the command is refused, and `events` holds only what the clock owed by the
 * command's `now` (expiries, period ends and what they start): facts all the same, recorded
 * whether or not the command is accepted.
 */
export interface Decision {
  events: AccountEvent[];
  rejection?: Rejection;
}

/**
 * The account decider. Pure: `state` is left as it was; folding `decision.events` into it with
 * `evolve` gives the account's next state (also on a rejection).
 */
export function decide(cmd: AccountCommand, state: AccountState, ctx: DecideContext): Decision {
  return decideInPlace(cmd, cloneAccountState(state), ctx);
}

/**
 * `decide` for a writer that owns its state (the ledger's cache): the same decision, without the
 * copy. `draft` is left as the decision's events folded into it (with `evolveInPlace`), also on a
 * rejection: the caller owns `draft`, and appends every event of the decision with it.
 */
export function decideInPlace(cmd: AccountCommand, draft: AccountState, ctx: DecideContext): Decision {
  if (cmd.type === 'OpenAccount') {
    if (draft.accountId) return { events: [], rejection: reject('account_exists', `account ${cmd.accountId} already exists`, 'accountId') };
    const rec = new Recorder(draft, ctx);
    rec.record({ type: 'AccountOpened', data: { accountId: cmd.accountId, name: cmd.name, at: cmd.now } });
    const free = planTerms(catalogAt(ctx.book, cmd.now), 'api_free', {}) as PlanTerms;
    startPeriod(rec, 'api', free, cmd.now, 'opened');
    return { events: rec.events };
  }
  if (!draft.accountId) return { events: [], rejection: reject('account_not_found', 'unknown account', 'accountId') };
  const rec = new Recorder(draft, ctx);
  const rejection = decideFor(cmd, rec);
  return rejection ? { events: rec.events, rejection } : { events: rec.events };
}

function decideFor(cmd: Exclude<AccountCommand, { type: 'OpenAccount' }>, rec: Recorder): Rejection | void {
  switch (cmd.type) {
    case 'Advance':
      return catchUp(rec, cmd.now);
    case 'StartPlan':
      return startPlan(rec, cmd);
    case 'ChangePlanSettings': {
      catchUp(rec, cmd.now);
      const p = openPeriod(rec.state.wallets[cmd.wallet]);
      if (!p) return reject('no_plan', `no plan runs on wallet ${cmd.wallet}`, 'wallet');
      const spec = catalogVersion(rec.ctx.book, p.terms.catalogVersion).plans[p.terms.plan];
      if (cmd.autoRenew && !spec.autoRenewAllowed)
        return reject('auto_renew_not_allowed', `auto-renew cannot be switched on for plan ${p.terms.plan}`, 'autoRenew');
      if (cmd.allowOverage && !spec.overageAllowed)
        return reject('overage_not_allowed', `overage cannot be switched on for plan ${p.terms.plan}`, 'allowOverage');
      rec.record({
        type: 'PlanSettingsChanged',
        data: {
          wallet: cmd.wallet,
          periodId: p.periodId,
          autoRenew: cmd.autoRenew ?? p.terms.autoRenew,
          allowOverage: cmd.allowOverage ?? p.terms.allowOverage,
          at: cmd.now,
        },
      });
      return;
    }
    case 'CancelPlan': {
      catchUp(rec, cmd.now);
      const p = openPeriod(rec.state.wallets[cmd.wallet]);
      if (!p || p.terms.plan === 'api_free') return reject('no_plan', `no paid plan runs on wallet ${cmd.wallet}`, 'wallet');
      endPeriod(rec, p, cmd.now, 'cancelled');
      rec.record({ type: 'PlanCancelled', data: { wallet: cmd.wallet, plan: p.terms.plan, at: cmd.now } });
      // Every account is on api_free unless it has another API plan.
      if (cmd.wallet === 'api') startPeriod(rec, 'api', freeTerms(rec, cmd.now), cmd.now, 'free_resumed');
      return;
    }
    case 'NoteRenderFailed': {
      rec.record({ type: 'RenderFailed', data: { ref: cmd.ref, jobId: cmd.jobId, at: cmd.at } });
      // A failed render releases its hold, unless the hold's time ran out first (then the clock expires it).
      const h = openHoldOfKey(rec.state, undefined, cmd.jobId);
      const at = h ? latest(cmd.at, h.placedAt) : cmd.at;
      if (h && at < h.expiresAt && cmd.now < h.expiresAt) {
        rec.record({ type: 'HoldReleased', data: { wallet: h.wallet, holdId: h.holdId, holdKey: h.holdKey, reason: 'render_failed', at } });
      }
      return;
    }
    case 'PlaceHold':
      return placeHold(rec, cmd);
    case 'ReleaseHold': {
      catchUp(rec, cmd.now);
      const h = rec.state.holds.find((x) => x.holdId === cmd.holdId);
      if (!h) return reject('hold_not_found', `no hold ${cmd.holdId}`, 'holdId');
      if (h.status === 'released') return; // released once: asking again changes nothing
      if (h.status !== 'held') return reject('conflict', `hold ${cmd.holdId} is ${h.status} already`, 'holdId');
      rec.record({
        type: 'HoldReleased',
        data: { wallet: h.wallet, holdId: h.holdId, holdKey: h.holdKey, reason: 'released', at: cmd.now },
      });
      return;
    }
    case 'ChargeUsage':
      // Up to the ledger's clock first, so a late record sees what a timer would have recorded by now.
      catchUp(rec, cmd.now);
      return charge(rec, cmd.usage);
  }
}

const sameHoldRequest = (a: HoldRequest, b: HoldRequest): boolean =>
  a.kind === b.kind && a.estimatedDurationMs === b.estimatedDurationMs && a.resolution === b.resolution && a.ttlMs === b.ttlMs;

/**
 * Reserves the estimate, priced with the catalog of the period it runs in, when an authorization
 * at this instant would allow it against credits that stay spendable until the hold expires.
 * The same holdKey again with the same request: the same hold, nothing recorded.
 */
function placeHold(rec: Recorder, cmd: Extract<AccountCommand, { type: 'PlaceHold' }>): Rejection | void {
  catchUp(rec, cmd.now);
  const s = rec.state;
  const prior = s.holds.find((h) => h.holdKey === cmd.holdKey);
  if (prior) {
    return sameHoldRequest(prior.request, cmd.request)
      ? undefined
      : reject('conflict', `hold ${cmd.holdKey} was placed with another request`, 'holdKey');
  }
  if (!Number.isSafeInteger(cmd.request.ttlMs) || cmd.request.ttlMs < 1)
    return reject('invalid', 'ttlMs must be a positive integer', 'ttlMs');
  const expiresAt = addMs(cmd.now, cmd.request.ttlMs);
  const { ttlMs: _ttl, ...estimate } = cmd.request;
  const a = authorize(s, estimate, cmd.now, rec.ctx.book, expiresAt);
  if (!a.allowed) return { ...reject('hold_refused', `the hold may not run: ${a.reasons.join(', ')}`), reasons: a.reasons };
  const wallet = walletOfKind(cmd.request.kind);
  const p = periodAt(s.wallets[wallet], cmd.now);
  rec.record({
    type: 'HoldPlaced',
    data: {
      wallet,
      holdId: holdIdOf(rec.accountId, s.holds.length + 1),
      holdKey: cmd.holdKey,
      periodId: p?.periodId ?? null,
      request: { ...cmd.request },
      credits: a.estimatedCredits,
      catalogVersion: p?.terms.catalogVersion ?? catalogAt(rec.ctx.book, cmd.now).version,
      expiresAt,
      at: cmd.now,
    },
  });
}

const freeTerms = (rec: Recorder, at: Instant): PlanTerms => planTerms(catalogAt(rec.ctx.book, at), 'api_free', {}) as PlanTerms;

function startPlan(rec: Recorder, cmd: Extract<AccountCommand, { type: 'StartPlan' }>): Rejection | void {
  const startsAt = cmd.startsAt ?? cmd.now;
  if (startsAt < rec.state.openedAt!) return reject('invalid', 'startsAt is before the account was opened', 'startsAt');
  if (startsAt > cmd.now) return reject('invalid', 'startsAt is in the future', 'startsAt');
  const terms = planTerms(catalogAt(rec.ctx.book, startsAt), cmd.plan, cmd);
  if ('error' in terms)
    return reject(
      terms.error,
      terms.message,
      terms.error === 'contract_required' ? 'contract' : terms.error === 'auto_renew_not_allowed' ? 'autoRenew' : 'allowOverage',
    );
  catchUp(rec, startsAt);
  const w = rec.state.wallets[terms.wallet];
  const current = openPeriod(w);
  if (current && startsAt < current.startsAt)
    return reject('invalid', `startsAt is before the current period began (${current.startsAt})`, 'startsAt');
  // Usage already charged after startsAt belongs where it was recorded: a plan cannot start under it.
  if (w.lastChargeAt && startsAt < w.lastChargeAt)
    return reject('invalid', `startsAt is before usage already charged on wallet ${terms.wallet} (${w.lastChargeAt})`, 'startsAt');
  if (current && current.terms.plan !== 'api_free')
    return reject('plan_active', `plan ${current.terms.plan} runs on wallet ${terms.wallet}: cancel it first`, 'plan');
  if (current) {
    if (terms.plan === 'api_free') return reject('plan_active', 'the account is already on api_free', 'plan');
    endPeriod(rec, current, startsAt, 'replaced');
    // What is left of the free grant is forfeited when a paid plan replaces api_free.
    for (const lot of w.lots) {
      // Only free grants: a cancelled paid plan's credits stay spendable until they expire.
      if (findPeriod(w, lot.periodId).terms.plan !== 'api_free') continue;
      const left = drawableAt(lot, startsAt) > 0n ? lotRemaining(lot) : 0n;
      if (left > 0n)
        rec.record({
          type: 'LotForfeited',
          data: { wallet: w.wallet, lotId: lot.lotId, credits: left, reason: 'replaced_free', at: startsAt },
        });
    }
  }
  startPeriod(rec, terms.wallet, terms, startsAt, 'plan_started');
}

/** Starts a period: the period, its grant as a lot that expires 30 days later, its invoice. */
function startPeriod(rec: Recorder, wallet: WalletId, terms: PlanTerms, at: Instant, reason: PeriodStartReason): void {
  const s = rec.state;
  const periodId = `${wallet}-p${s.periodCount + 1}`;
  rec.record({ type: 'PeriodStarted', data: { wallet, periodId, terms, startsAt: at, endsAt: addMonths(at, 1), reason, at } });
  if (terms.monthlyCredits > 0n) {
    rec.record({
      type: 'CreditsGranted',
      data: {
        wallet,
        lotId: `${wallet}-l${s.lotCount + 1}`,
        periodId,
        credits: terms.monthlyCredits,
        at,
        expiresAt: addDays(at, rec.settings.lotLifetimeDays),
      },
    });
  }
  const p = openPeriod(rec.state.wallets[wallet])!;
  const invoice = planInvoice(rec.accountId, rec.state.invoiceCount + 1, p, at);
  if (invoice) rec.record({ type: 'InvoiceIssued', data: { invoice, at } });
}

/** Ends a period; its overage, if any, is invoiced once, at that moment. */
function endPeriod(rec: Recorder, p: Period, at: Instant, reason: PeriodEndReason): void {
  rec.record({ type: 'PeriodEnded', data: { wallet: p.wallet, periodId: p.periodId, reason, at } });
  invoiceOverage(rec, p, p.overageByKind, at);
}

function invoiceOverage(rec: Recorder, p: Period, overage: Period['overageByKind'], at: Instant): void {
  const period = rec.state.wallets[p.wallet].periods.find((x) => x.periodId === p.periodId)!;
  const invoice = overageInvoice(rec.accountId, rec.state.invoiceCount + 1, period, overage, at);
  if (invoice) rec.record({ type: 'InvoiceIssued', data: { invoice, at } });
}

/**
 * Records, in time order, every expiry and period end due by `until`. Charges call it too, so a
 * balance never depends on whether a timer already ran: the same events, decided once.
 */
function catchUp(rec: Recorder, until: Instant): void {
  for (;;) {
    const next = nextDue(rec.state, until);
    if (!next) return;
    const w = rec.state.wallets[next.wallet];
    if (next.kind === 'hold_expiry') {
      const h = rec.state.holds.find((x) => x.holdId === next.id)!;
      rec.record({ type: 'HoldExpired', data: { wallet: h.wallet, holdId: h.holdId, holdKey: h.holdKey, at: h.expiresAt } });
    } else if (next.kind === 'expiry') {
      const lot = findLot(w, next.id);
      rec.record({ type: 'LotExpired', data: { wallet: w.wallet, lotId: lot.lotId, credits: lotRemaining(lot), at: lot.expiresAt } });
    } else {
      const p = openPeriod(w)!;
      endPeriod(rec, p, p.endsAt, 'boundary');
      startPeriod(rec, w.wallet, nextTerms(rec, p, p.endsAt), p.endsAt, 'boundary');
    }
  }
}

/** The next period keeps its plan and settings, priced by the catalog in force then (enterprise keeps its contract). */
function nextTerms(rec: Recorder, p: Period, at: Instant): PlanTerms {
  if (p.terms.plan === 'api_enterprise') return p.terms;
  const terms = planTerms(catalogAt(rec.ctx.book, at), p.terms.plan, { autoRenew: p.terms.autoRenew, allowOverage: p.terms.allowOverage });
  return 'error' in terms ? p.terms : terms;
}

export interface Deadline {
  wallet: WalletId;
  kind: 'expiry' | 'period_end' | 'hold_expiry';
  id: string;
  at: Instant;
}

/** The earliest expiry or period end of the account not yet recorded, if due by `until`. */
export function nextDue(s: AccountState, until: Instant): Deadline | undefined {
  const d = nextDeadline(s);
  return d && d.at <= until ? d : undefined;
}

/** The account's earliest pending deadline: what the process manager schedules. */
export function nextDeadline(s: AccountState): Deadline | undefined {
  let best: Deadline | undefined;
  const consider = (d: Deadline) => {
    // At the same instant an expiry goes first: the next grant must not be burnt by it.
    if (!best || d.at < best.at || (d.at === best.at && d.kind === 'expiry' && best.kind !== 'expiry')) best = d;
  };
  for (const wallet of WALLETS) {
    const w = s.wallets[wallet];
    for (const lot of w.lots)
      if (!lot.closure && lotRemaining(lot) > 0n) consider({ wallet, kind: 'expiry', id: lot.lotId, at: lot.expiresAt });
    const p = openPeriod(w);
    if (p) consider({ wallet, kind: 'period_end', id: p.periodId, at: p.endsAt });
  }
  for (const h of s.holds) if (h.status === 'held') consider({ wallet: h.wallet, kind: 'hold_expiry', id: h.holdId, at: h.expiresAt });
  return best;
}

function reviewFlags(usage: Usage, p: Period | undefined): ReviewFlag[] {
  if (!p) return ['no_plan'];
  const flags: ReviewFlag[] = [];
  const rate = usage.kind;
  const t = p.terms;
  if (
    (rate === 'video_translation' && !t.features.includes('video_translation')) ||
    (rate === 'proofreading' && !t.features.includes('proofreading'))
  )
    flags.push('feature_not_in_plan');
  if (!rate.startsWith('streaming.')) {
    if (t.maxVideoLengthMs !== null && usage.durationMs > t.maxVideoLengthMs) flags.push('video_too_long');
    if (usage.resolution && t.maxResolution && RESOLUTIONS.indexOf(usage.resolution) > RESOLUTIONS.indexOf(t.maxResolution))
      flags.push('resolution_above_plan');
    if (t.watermark && usage.watermarked === false) flags.push('watermark_missing');
  }
  return flags;
}

/** Charges one usage record as of its own time, against the lots spendable then. */
function charge(rec: Recorder, usage: Usage): Rejection | void {
  if (usage.at < rec.state.openedAt!) return reject('invalid', 'time is before the account was opened', 'time');
  catchUp(rec, usage.at);
  const w = rec.state.wallets[walletOfKind(usage.kind)];
  const p = periodAt(w, usage.at);
  const catalog = p ? catalogVersion(rec.ctx.book, p.terms.catalogVersion) : catalogAt(rec.ctx.book, usage.at);
  const priced = price(usage.kind, usage.durationMs, catalog);
  // The usage of an open hold's key captures it; credits other holds reserve are not its to draw.
  const hold = openHoldOfKey(rec.state, w.wallet, usage.jobId);
  const lots = spendableLots(w, usage.at);
  let free = sumCredits(lots.map((lot) => drawableAt(lot, usage.at))) - heldAt(rec.state, w.wallet, usage.at, hold?.holdId);
  if (free < 0n) free = 0n;
  const cover = priced.credits < free ? priced.credits : free;
  const burnt = burn(lots, usage.at, cover);
  const draws = burnt.draws;
  const rest = priced.credits - cover + burnt.rest;
  const overage = p?.terms.allowOverage ? rest : 0n;
  rec.record({
    type: 'UsageCharged',
    data: {
      wallet: w.wallet,
      periodId: p?.periodId ?? null,
      usage,
      priced,
      draws,
      overage,
      uncovered: rest - overage,
      flags: reviewFlags(usage, p),
      at: usage.at,
    },
  });
  if (hold) {
    rec.record({
      type: 'HoldCaptured',
      data: { wallet: w.wallet, holdId: hold.holdId, holdKey: hold.holdKey, usage: usage.ref, at: latest(usage.at, hold.placedAt) },
    });
  }
  correctClosures(rec, w, draws, usage);
  if (p && overage > 0n && p.endedAt) {
    // The period's overage was already settled: a late record gets a supplementary invoice.
    invoiceOverage(rec, p, { [usage.kind]: overage }, latest(usage.at, p.endedAt));
  }
  if (p) autoRenew(rec, w, p.periodId, usage.at);
}

function correctClosures(rec: Recorder, w: Wallet, draws: { lotId: string; credits: bigint }[], usage: Usage): void {
  for (const d of draws) {
    const lot = findLot(w, d.lotId);
    if (!lot.closure) continue;
    rec.record({
      type: 'LotClosureCorrected',
      data: {
        wallet: w.wallet,
        lotId: lot.lotId,
        credits: d.credits,
        closure: lot.closure.kind,
        usage: usage.ref,
        at: lotClosesAt(lot),
      },
    });
  }
}

/** Renews at once when the period's own grant is 90 % used; once per period, capped per month. */
function autoRenew(rec: Recorder, w: Wallet, periodId: string, at: Instant): void {
  const p = w.periods.find((x) => x.periodId === periodId)!;
  const settings = rec.settings;
  if (p.endedAt || p.renewed || !p.terms.autoRenew || p.terms.monthlyCredits === 0n) return;
  if (p.used * 100n < p.terms.monthlyCredits * BigInt(settings.autoRenewThresholdPercent)) return;
  // A late record must not start the new period before charges already recorded.
  const renewAt = latest(at, w.lastChargeAt ?? at);
  const month = monthOf(renewAt);
  if ((w.renewalsByMonth[month] ?? 0) >= settings.autoRenewCapPerMonth) {
    if (!w.capReachedMonths.includes(month))
      rec.record({ type: 'AutoRenewCapReached', data: { wallet: w.wallet, month, cap: settings.autoRenewCapPerMonth, at: renewAt } });
    return;
  }
  endPeriod(rec, p, renewAt, 'renewal');
  const lot = p.lotId ? findLot(w, p.lotId) : undefined;
  const left = lot && !lot.closure ? lotRemaining(lot) : 0n;
  if (lot && left > 0n && settings.renewalRemainder === 'forfeit')
    rec.record({ type: 'LotForfeited', data: { wallet: w.wallet, lotId: lot.lotId, credits: left, reason: 'renewal', at: renewAt } });
  startPeriod(rec, w.wallet, p.terms, renewAt, 'renewal');
}
