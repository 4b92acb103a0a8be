// Available credits of a wallet over time, derived from the account's entries and holds (the
// same numbers the balances route folds): the lots' credits move with grants, charges, expiries,
// forfeits and corrections; an open hold takes its credits from what is available until it ends.
// With the marks a reader needs beside it: lot expiries, renewals, and the 90 % line of each
// period's grant. Exact: every amount is an integer of millionths.
import { formatCredits, MicroCredits, parseCredits } from './amounts';
import { Entry, Hold, Notification, WalletId } from './shapes';

/** The entries that move the lots' credits (overage and uncovered are owed, not drawn). */
const MOVES_LOTS = new Set(['grant', 'charge', 'expiry', 'forfeit', 'correction']);

export interface SeriesPoint {
  at: string;
  /** Milliseconds since the epoch, for the chart. */
  t: number;
  /** The lots' remaining credits. */
  spendable: MicroCredits;
  held: MicroCredits;
  /** Spendable minus held, never below 0 (as the balances route shows it). */
  available: MicroCredits;
}

export interface Mark {
  kind: 'expiry' | 'renewal';
  wallet: WalletId;
  at: string;
  t: number;
  /** Recorded (at or before now), or still to come. */
  due: boolean;
  label: string;
}

export interface NinetyStep {
  periodId: string;
  from: string;
  /** The next period's start, or undefined while the period runs. */
  to?: string;
  granted: MicroCredits;
  /** What is left of the grant once 90 % of it is used. */
  level: MicroCredits;
}

export interface WalletSeries {
  wallet: WalletId;
  points: SeriesPoint[];
  marks: Mark[];
  ninety: NinetyStep[];
}

interface Move {
  t: number;
  at: string;
  spendable: MicroCredits;
  held: MicroCredits;
}

const ms = (iso: string) => Date.parse(iso);
const lotOf = (e: Entry) => e.lotId ?? '';

/** The series of every wallet that has entries or holds, in the order the API names wallets. */
export function walletSeries(entries: Entry[], holds: Hold[], now: string, notifications: Notification[] = []): WalletSeries[] {
  const wallets = [...new Set([...entries.map((e) => e.wallet), ...holds.map((h) => h.wallet)])];
  return wallets.map((w) =>
    seriesOf(
      w,
      entries.filter((e) => e.wallet === w),
      holds.filter((h) => h.wallet === w),
      now,
      notifications.filter((n) => n.wallet === w),
    ),
  );
}

function seriesOf(wallet: WalletId, entries: Entry[], holds: Hold[], now: string, notifications: Notification[]): WalletSeries {
  const nowT = ms(now);
  const moves: Move[] = [];
  for (const e of entries) {
    if (MOVES_LOTS.has(e.kind)) moves.push({ t: ms(e.at), at: e.at, spendable: parseCredits(e.credits), held: 0n });
  }
  for (const h of holds) {
    const placed = ms(h.placedAt);
    if (placed > nowT) continue;
    // Held from its placement until it ended, or until it expires (a hold past expiresAt is not held).
    const endIso = h.endedAt && ms(h.endedAt) < ms(h.expiresAt) ? h.endedAt : h.expiresAt;
    const credits = parseCredits(h.credits);
    moves.push({ t: placed, at: h.placedAt, spendable: 0n, held: credits });
    if (ms(endIso) <= nowT) moves.push({ t: ms(endIso), at: endIso, spendable: 0n, held: -credits });
  }
  moves.sort((a, b) => a.t - b.t); // stable: the log's order within an instant

  const points: SeriesPoint[] = [];
  let spendable = 0n;
  let held = 0n;
  for (const m of moves) {
    if (m.t > nowT) break;
    spendable += m.spendable;
    held += m.held;
    const point = { at: new Date(m.t).toISOString(), t: m.t, spendable, held, available: spendable > held ? spendable - held : 0n };
    if (points.length && points[points.length - 1].t === m.t) points[points.length - 1] = point;
    else points.push(point);
  }
  if (points.length && points[points.length - 1].t < nowT)
    points.push({ ...points[points.length - 1], at: new Date(nowT).toISOString(), t: nowT });

  return { wallet, points, marks: marksOf(wallet, entries, notifications, nowT), ninety: ninetyOf(entries, now) };
}

/** Lot expiries (of lots not forfeited) and renewals (plan_renewed, else the renewal's forfeit). */
function marksOf(wallet: WalletId, entries: Entry[], notifications: Notification[], nowT: number): Mark[] {
  const marks: Mark[] = [];
  const forfeited = new Set(entries.filter((e) => e.kind === 'forfeit').map(lotOf));
  const expired = new Map(entries.filter((e) => e.kind === 'expiry').map((e) => [lotOf(e), e]));
  for (const g of entries) {
    if (g.kind !== 'grant' || !g.expiresAt || forfeited.has(lotOf(g))) continue;
    const x = expired.get(lotOf(g));
    const due = ms(g.expiresAt) > nowT;
    const label = x
      ? `lot ${g.lotId} expired: ${formatCredits(-parseCredits(x.credits))} of ${g.credits} credits`
      : `lot ${g.lotId} (${g.credits} credits) ${due ? 'expires' : 'expired, nothing left'}`;
    marks.push({ kind: 'expiry', wallet, at: g.expiresAt, t: ms(g.expiresAt), due, label });
  }
  const renewed = notifications.filter((n) => n.kind === 'plan_renewed');
  const renewals = renewed.length
    ? renewed.map((n) => ({ at: n.at, label: `renewed at 90 %: period ${String(n.data.periodId ?? '')} of ${String(n.data.plan ?? '')}` }))
    : entries
        .filter((e) => e.kind === 'forfeit' && e.reason === 'renewal')
        .map((e) => ({
          at: e.at,
          label: `renewed at 90 %: ${formatCredits(-parseCredits(e.credits))} credits of the old grant forfeited`,
        }));
  for (const r of renewals) marks.push({ kind: 'renewal', wallet, at: r.at, t: ms(r.at), due: ms(r.at) > nowT, label: r.label });
  return marks.sort((a, b) => a.t - b.t);
}

/** One step per period with a grant: 10 % of what the period granted, from its first grant until the next period's. */
function ninetyOf(entries: Entry[], now: string): NinetyStep[] {
  const periods = new Map<string, { from: string; granted: MicroCredits }>();
  for (const g of entries) {
    if (g.kind !== 'grant' || !g.periodId || ms(g.at) > ms(now)) continue;
    const p = periods.get(g.periodId);
    if (p) p.granted += parseCredits(g.credits);
    else periods.set(g.periodId, { from: g.at, granted: parseCredits(g.credits) });
  }
  const steps = [...periods].map(([periodId, p]) => ({ periodId, from: p.from, granted: p.granted, level: p.granted / 10n }));
  steps.sort((a, b) => ms(a.from) - ms(b.from));
  const out: NinetyStep[] = [];
  steps.forEach((s, i) => {
    const to = steps[i + 1]?.from;
    if (to !== undefined && ms(to) <= ms(s.from)) return; // replaced at once (the free grant a plan replaces)
    out.push(to === undefined ? s : { ...s, to });
  });
  return out;
}

/** The 90 % level at an instant (undefined before the first period). */
export function ninetyAt(steps: NinetyStep[], t: number): MicroCredits | undefined {
  let level: MicroCredits | undefined;
  for (const s of steps) if (ms(s.from) <= t) level = s.level;
  return level;
}
