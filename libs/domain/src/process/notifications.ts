// The notification process manager, in the decider shape: decide(event, state) -> notifications,
// evolve(state, event) -> state. Pure: the service records what it decides in an outbox.
//
// Every notification has a deterministic id, `<streamId>:<streamVersion>:<kind>` (thresholds add
// their percentage), so replaying the log decides the same ids and receivers can dedupe by id.
import { WalletId } from '../catalog/catalog';
import { formatCredits, MicroCredits } from '../credits/credits';
import { AccountEvent } from '../account/events';
import { Instant } from '../time/instant';

export type NotificationKind =
  'balance_threshold' | 'wallet_exhausted' | 'lot_expired' | 'plan_renewed' | 'auto_renew_cap_reached' | 'period_ended' | 'invoice_issued';

export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  'balance_threshold',
  'wallet_exhausted',
  'lot_expired',
  'plan_renewed',
  'auto_renew_cap_reached',
  'period_ended',
  'invoice_issued',
];

/** A notification: JSON-safe (credits as decimal strings, money as integer cents). */
export interface Notification {
  id: string;
  kind: NotificationKind;
  accountId: string;
  wallet: WalletId;
  /** Event time of what it tells. */
  at: Instant;
  data: Record<string, string | number | boolean | null>;
  /** The event that caused it. */
  source: { streamId: string; streamVersion: number };
}

export interface NotificationSettings {
  /** Percentages of the current period's grant used that are told once per period (default 80, 90, 100). */
  thresholds: number[];
}

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettings = { thresholds: [80, 90, 100] };

/** What the manager remembers of one wallet. */
export interface WalletWatch {
  /** The latest period started on the wallet (none yet: usage without a plan). */
  periodId?: string;
  /** Its own grant (0 until granted; free of credits: no thresholds). */
  lotId?: string;
  granted: MicroCredits;
  /** Credits drawn from that grant by usage of that period (what the 90 % auto-renew counts too). */
  used: MicroCredits;
  /** Thresholds already told for this period. */
  told: number[];
  /**
   * Credits of the holds open in this period, by hold key (one open hold per key): held credits
   * are not available, so a threshold counts them as used (api.md "Holds"). A hold that ends gives
   * them back, but a threshold told stays told for the period.
   */
  held?: Record<string, MicroCredits>;
  exhausted: boolean;
}

export interface NotificationState {
  wallets: Partial<Record<WalletId, WalletWatch>>;
}

export const initialNotificationState = (): NotificationState => ({ wallets: {} });

/** An account event with its place in the log, as the projection hands it over. */
export interface SourcedAccountEvent {
  accountId: string;
  streamId: string;
  streamVersion: number;
  event: AccountEvent;
}

const pct = (used: MicroCredits, granted: MicroCredits, threshold: number) => granted > 0n && used * 100n >= granted * BigInt(threshold);

/** The thresholds `used + held` crosses that were not told yet, lowest first. */
const crossed = (w: WalletWatch, used: MicroCredits, held: MicroCredits, settings: NotificationSettings): number[] =>
  [...settings.thresholds].sort((a, b) => a - b).filter((t) => !w.told.includes(t) && pct(used + held, w.granted, t));

/** What the holds hold, but for the one of `key` (the usage of a job captures its hold: those credits are used, not held). */
const heldBut = (w: WalletWatch, key?: string): MicroCredits =>
  Object.entries(w.held ?? {}).reduce((sum, [k, credits]) => (k === key ? sum : sum + credits), 0n);

const withoutHold = (w: WalletWatch, key: string): WalletWatch => {
  if (!w.held || !(key in w.held)) return w;
  const { [key]: _gone, ...held } = w.held;
  return { ...w, held };
};

const thresholdNotice = (t: number, w: WalletWatch, used: MicroCredits, held: MicroCredits) => ({
  threshold: t,
  periodId: w.periodId ?? null,
  used: formatCredits(used),
  held: formatCredits(held),
  granted: formatCredits(w.granted),
});

const emptyWatch = (): WalletWatch => ({ granted: 0n, used: 0n, told: [], exhausted: false });

const usedAfter = (w: WalletWatch | undefined, e: Extract<AccountEvent, { type: 'UsageCharged' }>): MicroCredits | undefined => {
  if (!w || !w.lotId || !w.periodId || e.data.periodId !== w.periodId) return undefined;
  let used = w.used;
  for (const d of e.data.draws) if (d.lotId === w.lotId) used += d.credits;
  return used;
};

/** The notifications one event causes, given what was told before it. */
export function decideNotifications(
  input: SourcedAccountEvent,
  state: NotificationState,
  settings: NotificationSettings = DEFAULT_NOTIFICATION_SETTINGS,
): Notification[] {
  const { event: e, accountId, streamId, streamVersion } = input;
  const make = (kind: NotificationKind, wallet: WalletId, data: Notification['data'], suffix = ''): Notification => ({
    id: `${streamId}:${streamVersion}:${kind}${suffix}`,
    kind,
    accountId,
    wallet,
    at: e.data.at,
    data,
    source: { streamId, streamVersion },
  });
  switch (e.type) {
    case 'UsageCharged': {
      const out: Notification[] = [];
      const w = state.wallets[e.data.wallet];
      const used = usedAfter(w, e);
      if (w && used !== undefined && used !== w.used) {
        const held = heldBut(w, e.data.usage.jobId);
        for (const t of crossed(w, used, held, settings))
          out.push(make('balance_threshold', e.data.wallet, thresholdNotice(t, w, used, held), `_${t}`));
      }
      if (e.data.uncovered > 0n && !w?.exhausted) {
        out.push(make('wallet_exhausted', e.data.wallet, { uncovered: formatCredits(e.data.uncovered), periodId: e.data.periodId }));
      }
      return out;
    }
    case 'HoldPlaced': {
      const w = state.wallets[e.data.wallet];
      if (!w || !w.lotId || e.data.periodId !== w.periodId) return [];
      const held = heldBut(w, e.data.holdKey) + e.data.credits;
      return crossed(w, w.used, held, settings).map((t) =>
        make('balance_threshold', e.data.wallet, thresholdNotice(t, w, w.used, held), `_${t}`),
      );
    }
    case 'LotExpired':
      return [make('lot_expired', e.data.wallet, { lotId: e.data.lotId, credits: formatCredits(e.data.credits) })];
    case 'PeriodStarted':
      return e.data.reason === 'renewal'
        ? [
            make('plan_renewed', e.data.wallet, {
              plan: e.data.terms.plan,
              periodId: e.data.periodId,
              startsAt: e.data.startsAt,
              endsAt: e.data.endsAt,
            }),
          ]
        : [];
    case 'AutoRenewCapReached':
      return [make('auto_renew_cap_reached', e.data.wallet, { month: e.data.month, cap: e.data.cap })];
    case 'PeriodEnded':
      return [make('period_ended', e.data.wallet, { periodId: e.data.periodId, reason: e.data.reason })];
    case 'InvoiceIssued': {
      const i = e.data.invoice;
      return [
        make('invoice_issued', i.wallet, {
          number: i.number,
          invoiceKind: i.supplements ? 'supplementary' : i.kind,
          plan: i.plan,
          periodId: i.periodId,
          totalCents: Number(i.totalCents),
          supplements: i.supplements ?? null,
        }),
      ];
    }
    default:
      return [];
  }
}

/** Folds one event. Returns a new state; the old one is untouched. */
export function evolveNotifications(
  state: NotificationState,
  e: AccountEvent,
  settings: NotificationSettings = DEFAULT_NOTIFICATION_SETTINGS,
): NotificationState {
  switch (e.type) {
    case 'PeriodStarted': {
      const prev = state.wallets[e.data.wallet];
      return {
        wallets: {
          ...state.wallets,
          [e.data.wallet]: {
            periodId: e.data.periodId,
            granted: 0n,
            used: 0n,
            told: [],
            held: {},
            exhausted: prev?.exhausted ?? false,
          },
        },
      };
    }
    case 'CreditsGranted': {
      const w = state.wallets[e.data.wallet] ?? emptyWatch();
      const next =
        w.periodId === e.data.periodId
          ? { ...w, lotId: e.data.lotId, granted: e.data.credits, exhausted: false }
          : { ...w, exhausted: false };
      return { wallets: { ...state.wallets, [e.data.wallet]: next } };
    }
    case 'UsageCharged': {
      const w = state.wallets[e.data.wallet] ?? emptyWatch();
      const used = usedAfter(w, e) ?? w.used;
      const told = tell(w, used + heldBut(w, e.data.usage.jobId), settings);
      return { wallets: { ...state.wallets, [e.data.wallet]: { ...w, used, told, exhausted: w.exhausted || e.data.uncovered > 0n } } };
    }
    case 'HoldPlaced': {
      const w = state.wallets[e.data.wallet];
      if (!w || e.data.periodId !== w.periodId) return state;
      const held = { ...w.held, [e.data.holdKey]: e.data.credits };
      const told = w.lotId ? tell(w, w.used + heldBut({ ...w, held }), settings) : w.told;
      return { wallets: { ...state.wallets, [e.data.wallet]: { ...w, held, told } } };
    }
    case 'HoldCaptured':
    case 'HoldReleased':
    case 'HoldExpired': {
      const w = state.wallets[e.data.wallet];
      return w ? { wallets: { ...state.wallets, [e.data.wallet]: withoutHold(w, e.data.holdKey) } } : state;
    }
    default:
      return state;
  }
}

/** The thresholds told once `taken` (used and held) of the grant is gone. */
function tell(w: WalletWatch, taken: MicroCredits, settings: NotificationSettings): number[] {
  const told = [...w.told];
  for (const t of settings.thresholds) if (!told.includes(t) && pct(taken, w.granted, t)) told.push(t);
  return told.sort((a, b) => a - b);
}

/** decide then evolve, for one event. */
export function reactToAccountEvent(
  input: SourcedAccountEvent,
  state: NotificationState,
  settings: NotificationSettings = DEFAULT_NOTIFICATION_SETTINGS,
) {
  return { notifications: decideNotifications(input, state, settings), state: evolveNotifications(state, input.event, settings) };
}

// ---- the state as JSON (for the projection's table): amounts as decimal strings of millionths ----

interface WalletWatchJson {
  periodId?: string;
  lotId?: string;
  granted: string;
  used: string;
  told: number[];
  /** Open holds' credits by hold key, as decimal strings of millionths (absent in states written before holds counted). */
  held?: Record<string, string>;
  exhausted: boolean;
}

export const encodeNotificationState = (s: NotificationState): { wallets: Partial<Record<WalletId, WalletWatchJson>> } => ({
  wallets: Object.fromEntries(
    Object.entries(s.wallets).map(([k, w]) => [
      k,
      {
        ...(w!.periodId ? { periodId: w!.periodId } : {}),
        ...(w!.lotId ? { lotId: w!.lotId } : {}),
        granted: w!.granted.toString(),
        used: w!.used.toString(),
        told: w!.told,
        ...(w!.held && Object.keys(w!.held).length > 0
          ? { held: Object.fromEntries(Object.entries(w!.held).map(([k, c]) => [k, c.toString()])) }
          : {}),
        exhausted: w!.exhausted,
      },
    ]),
  ),
});

export const decodeNotificationState = (json: unknown): NotificationState => {
  const wallets = (json as { wallets?: Record<string, WalletWatchJson> } | null)?.wallets ?? {};
  return {
    wallets: Object.fromEntries(
      Object.entries(wallets).map(([k, w]) => [
        k,
        {
          ...(w.periodId ? { periodId: w.periodId } : {}),
          ...(w.lotId ? { lotId: w.lotId } : {}),
          granted: BigInt(w.granted),
          used: BigInt(w.used),
          told: [...w.told],
          ...(w.held ? { held: Object.fromEntries(Object.entries(w.held).map(([k, c]) => [k, BigInt(c)])) } : {}),
          exhausted: w.exhausted,
        },
      ]),
    ),
  };
};
