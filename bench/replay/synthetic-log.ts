// A realistic account log, made by the domain decider: many accounts on mixed plans (free,
// Pro with and without overage, Scale with auto-renew, Enterprise contracts, LiveAvatar),
// usage every day in event-time order with some late records, the clock's expiries and period
// ends, cancellations and plan starts. Deterministic for a seed. Used by the replay benchmark
// and by the projection tests.
import {
  AccountCommand,
  AccountState,
  DEFAULT_BOOK,
  decide,
  encodeAccountEventData,
  evolveInPlace,
  initialAccountState,
  PlanId,
  UsageKind,
} from '@ledger/domain';
import { EventStore, NewEvent, StreamAppend } from '@ledger/event-store';
import { seededRandom } from '../../test/support/seeded-random';

export interface SyntheticLogOptions {
  /** Stop once at least this many events were made. */
  events: number;
  /** Accounts (default: about one per 500 events, at least 8). */
  accounts?: number;
  seed?: number;
  /** First day, midnight UTC (default 2026-01-01). */
  start?: string;
  /** Days the usage spreads over (default 120). */
  days?: number;
  /** Account ids are `<prefix><number>` (default `acct_`): another prefix makes other accounts. */
  accountPrefix?: string;
}

export interface SyntheticEvent {
  streamId: string;
  event: NewEvent;
}

type Profile = {
  usage: number;
  plan?: PlanId;
  autoRenew?: boolean;
  allowOverage?: boolean;
  live?: boolean;
  contract?: { monthlyCredits: string; priceCents: number; overageCentsPerCredit: number };
};

const PROFILES: [number, Profile][] = [
  // weight, profile (usage: relative intensity; free accounts use little: they are soon exhausted)
  [30, { usage: 0.05 }],
  [15, { usage: 0.4, plan: 'api_pro' }],
  [10, { usage: 0.7, plan: 'api_pro', allowOverage: true }],
  [15, { usage: 1.5, plan: 'api_scale', autoRenew: true, allowOverage: true }],
  [5, { usage: 1, plan: 'api_scale' }],
  [
    5,
    {
      usage: 3,
      plan: 'api_enterprise',
      autoRenew: true,
      allowOverage: true,
      contract: { monthlyCredits: '5000', priceCents: 200000, overageCentsPerCredit: 40 },
    },
  ],
  [12, { usage: 1, live: true, allowOverage: true, autoRenew: true }],
  [8, { usage: 1, plan: 'api_pro', live: true, allowOverage: true }],
];

const API_KINDS: [number, UsageKind][] = [
  [45, 'avatar_video.unlimited'],
  [12, 'avatar_video.avatar_iv'],
  [25, 'streaming.api'],
  [10, 'video_translation'],
  [8, 'proofreading'],
];
const LIVE_KINDS: [number, UsageKind][] = [
  [60, 'streaming.live_avatar_full'],
  [40, 'streaming.live_avatar_custom'],
];

const pick = <T>(rnd: () => number, table: [number, T][]): T => {
  const total = table.reduce((s, [w]) => s + w, 0);
  let x = rnd() * total;
  for (const [w, v] of table) if ((x -= w) < 0) return v;
  return table[table.length - 1][1];
};

const DAY = 86_400_000;
const iso = (t: number) => new Date(t).toISOString();

interface Account {
  id: string;
  state: AccountState;
  profile: Profile;
  /** Relative usage intensity (some accounts are heavy users). */
  weight: number;
}

/** Yields the log's events in global order, in chunks (each chunk ends between two commands). */
export function* syntheticLog(options: SyntheticLogOptions): Generator<SyntheticEvent[]> {
  const rnd = seededRandom(options.seed ?? 42);
  const accountCount = options.accounts ?? Math.max(8, Math.round(options.events / 500));
  const start = Date.parse(options.start ?? '2026-01-01T00:00:00.000Z');
  const ctx = { book: DEFAULT_BOOK };
  let made = 0;
  let seq = 0;
  let chunk: SyntheticEvent[] = [];
  let kafkaOffset = 0;

  const run = (a: Account, command: AccountCommand, metadata: Record<string, unknown>): void => {
    const out = decide(command, a.state, ctx);
    if (out.rejection) return; // what the clock owed is recorded by the next command
    for (const e of out.events) {
      a.state = evolveInPlace(a.state, e);
      chunk.push({ streamId: `account-${a.id}`, event: { type: e.type, data: encodeAccountEventData(e), metadata } });
    }
    made += out.events.length;
  };

  const accounts: Account[] = [];
  for (let i = 0; i < accountCount; i++) {
    const profile = pick(
      rnd,
      PROFILES.map(([w, p]) => [w, p] as [number, Profile]),
    );
    accounts.push({
      id: `${options.accountPrefix ?? 'acct_'}${String(i + 1).padStart(6, '0')}`,
      state: initialAccountState(),
      profile,
      weight: profile.usage * (0.3 + rnd() * rnd() * 4),
    });
  }
  // Records per unit of weight and day, so that the log reaches `events` in about `days` days.
  const perWeightDay = options.events / (options.days ?? 120) / accounts.reduce((s, a) => s + a.weight, 0);
  // Accounts open during the first days, and start their plans at once.
  const opened: Account[] = [];
  for (let day = 0; made < options.events; day++) {
    const dayStart = start + day * DAY;
    const now = iso(dayStart);
    for (const a of accounts) {
      if (a.state.accountId || rnd() > 0.25) continue;
      run(a, { type: 'OpenAccount', accountId: a.id, name: `Account ${a.id}`, now }, { via: 'http', command: 'OpenAccount' });
      const p = a.profile;
      if (p.plan)
        run(
          a,
          {
            type: 'StartPlan',
            plan: p.plan,
            autoRenew: p.autoRenew && p.plan !== 'api_pro',
            allowOverage: p.allowOverage,
            contract: p.contract,
            now,
          },
          { via: 'http', command: 'StartPlan' },
        );
      if (p.live)
        run(
          a,
          { type: 'StartPlan', plan: 'live_avatar', autoRenew: p.autoRenew, allowOverage: p.allowOverage, now },
          { via: 'http', command: 'StartPlan' },
        );
      opened.push(a);
    }
    // The clock at the start of the day: expiries and period ends due by then.
    for (const a of opened) run(a, { type: 'Advance', now }, { via: 'clock' });
    // The day's usage, in event-time order across accounts.
    const records: { t: number; a: Account }[] = [];
    for (const a of opened) {
      const n = Math.floor(perWeightDay * a.weight * (0.5 + rnd()) + rnd());
      for (let k = 0; k < n; k++) records.push({ t: dayStart + Math.floor(rnd() * DAY), a });
    }
    records.sort((x, y) => x.t - y.t);
    for (const { t, a } of records) {
      const live = a.profile.live === true && (!a.profile.plan || rnd() < 0.4);
      const kind = live ? pick(rnd, LIVE_KINDS) : pick(rnd, API_KINDS);
      const streaming = kind.startsWith('streaming.');
      const durationMs = streaming ? 20_000 + Math.floor(rnd() * rnd() * 3_600_000) : 5_000 + Math.floor(rnd() * rnd() * 600_000);
      // One in fifty records arrives late (up to two days); the ledger's clock is the record's arrival.
      const late = rnd() < 0.02 ? Math.floor(rnd() * 2 * DAY) : 0;
      const at = iso(Math.max(t - late, Date.parse(a.state.openedAt!)));
      const id = `evt-${options.accountPrefix ?? ''}${++seq}`;
      const source = streaming ? 'gateway/eu-west-1' : 'renderer/eu-west-1';
      const provenance =
        rnd() < 0.5
          ? {
              via: 'http',
              requestId: `req-${(seq / 50) | 0}`,
              index: seq % 50,
              event: { source, id, type: streaming ? 'streaming.session.ended' : 'render.completed' },
            }
          : {
              via: 'kafka',
              topic: 'usage',
              partition: seq % 6,
              offset: String(kafkaOffset++),
              event: { source, id, type: streaming ? 'streaming.session.ended' : 'render.completed' },
            };
      run(
        a,
        {
          type: 'ChargeUsage',
          now: iso(t),
          usage: {
            ref: { source, id },
            kind,
            at,
            durationMs,
            jobId: `job-${seq}`,
            ...(streaming ? {} : { resolution: rnd() < 0.8 ? '1080p' : '4k', watermarked: false }),
          },
        },
        provenance,
      );
      if (rnd() < 0.0005 && a.profile.plan && a.profile.plan !== 'api_free') {
        run(a, { type: 'CancelPlan', wallet: 'api', now: iso(t) }, { via: 'http', command: 'CancelPlan' });
        run(
          a,
          {
            type: 'StartPlan',
            plan: a.profile.plan,
            autoRenew: a.profile.autoRenew && a.profile.plan !== 'api_pro',
            allowOverage: a.profile.allowOverage,
            contract: a.profile.contract,
            now: iso(t),
          },
          { via: 'http', command: 'StartPlan' },
        );
      }
      if (chunk.length >= 5000) {
        yield chunk;
        chunk = [];
      }
      if (made >= options.events) break;
    }
  }
  if (chunk.length) yield chunk;
}

/** Appends the synthetic log to a store in big batches (one transaction per `batch` events). */
export async function appendSyntheticLog(
  store: EventStore,
  options: SyntheticLogOptions & { batch?: number; onProgress?(appended: number): void },
): Promise<number> {
  let pending: SyntheticEvent[] = [];
  let appended = 0;
  const flush = async () => {
    const appends: StreamAppend[] = [];
    for (const e of pending) {
      const last = appends[appends.length - 1];
      if (last && last.streamId === e.streamId) last.events.push(e.event);
      else appends.push({ streamId: e.streamId, expectedVersion: 'any', events: [e.event] });
    }
    await store.append(appends);
    appended += pending.length;
    pending = [];
    options.onProgress?.(appended);
  };
  for (const chunk of syntheticLog(options)) {
    pending.push(...chunk);
    if (pending.length >= (options.batch ?? 20_000)) await flush();
  }
  if (pending.length) await flush();
  return appended;
}
