// Realistic usage for the benchmarks, deterministic for a seed: many accounts on mixed plans,
// renders and streaming sessions, a few hot accounts, duplicates (the same event sent again)
// and late events (event time hours to days behind the others).
//
// Time: accounts open and start their plans at OPENED_AT; the ledger's clock then stands at
// CLOCK_AT and the day of usage runs from CLOCK_AT - 1 day to CLOCK_AT (no expiry or period end
// falls inside, so every way in sees the same history whatever the wall clock says).

import { seededRandom } from '../../test/support/seeded-random';

export const OPENED_AT = '2026-03-01T00:00:00.000Z';
export const CLOCK_AT = '2026-03-21T00:00:00.000Z';
const DAY_MS = 86_400_000;
const USAGE_FROM_MS = Date.parse(CLOCK_AT) - DAY_MS;

export type PlanSpec =
  | { plan: 'api_pro'; allowOverage: boolean }
  | { plan: 'api_scale'; autoRenew: boolean; allowOverage: boolean }
  | {
      plan: 'api_enterprise';
      autoRenew: boolean;
      allowOverage: boolean;
      contract: { monthlyCredits: string; priceCents: number; overageCentsPerCredit: number };
    }
  | { plan: 'live_avatar'; autoRenew: boolean; allowOverage: boolean };

export interface AccountSpec {
  accountId: string;
  name: string;
  /** Paid plans started at OPENED_AT (none: api_free only). */
  plans: PlanSpec[];
  liveAvatar: boolean;
  free: boolean;
}

/** The CloudEvents of events.md, as producers send them. */
export interface UsageEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: 'render.completed' | 'render.failed' | 'streaming.session.ended';
  time: string;
  subject: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export interface WorkloadOptions {
  accounts: number;
  /** Events to generate, duplicates included. */
  events: number;
  seed?: number;
  /** Accounts that get `hotShare` of all events between them (default max(3, accounts / 2000)). */
  hotAccounts?: number;
  hotShare?: number;
  duplicateShare?: number;
  lateShare?: number;
  /** Prefix of event ids: two runs into one store must not collide. */
  idPrefix?: string;
  /** Every account exactly once first (in order), then the mix (memory benchmark). */
  touchEveryAccountFirst?: boolean;
}

export const accountId = (i: number): string => `acct_${String(i).padStart(7, '0')}`;

const hotCount = (o: WorkloadOptions) => o.hotAccounts ?? Math.max(3, Math.floor(o.accounts / 2000));

/**
 * The plan mix: 45 % stay on api_free, 25 % Pro, 12 % Scale, 8 % LiveAvatar (and free API),
 * 5 % Scale + LiveAvatar, 5 % Enterprise. Hot accounts are Enterprise or Scale with auto-renew.
 */
export function accountSpec(i: number, hot: boolean): AccountSpec {
  const r = seededRandom(0x5eed + i)();
  const id = accountId(i);
  const base = { accountId: id, name: `Customer ${i}` };
  const enterprise: PlanSpec = {
    plan: 'api_enterprise',
    autoRenew: true,
    allowOverage: true,
    contract: { monthlyCredits: '50000', priceCents: 2_000_000, overageCentsPerCredit: 40 },
  };
  const scale = (autoRenew: boolean): PlanSpec => ({ plan: 'api_scale', autoRenew, allowOverage: true });
  const live = (autoRenew: boolean): PlanSpec => ({ plan: 'live_avatar', autoRenew, allowOverage: autoRenew });
  let plans: PlanSpec[];
  if (hot) plans = i % 2 === 0 ? [enterprise, live(true)] : [scale(true)];
  else if (r < 0.45) plans = [];
  else if (r < 0.7) plans = [{ plan: 'api_pro', allowOverage: r < 0.6 }];
  else if (r < 0.82) plans = [scale(r < 0.78)];
  else if (r < 0.9) plans = [live(r < 0.86)];
  else if (r < 0.95) plans = [scale(true), live(true)];
  else plans = [enterprise];
  return { ...base, plans, liveAvatar: plans.some((p) => p.plan === 'live_avatar'), free: !plans.some((p) => p.plan !== 'live_avatar') };
}

export function accounts(o: Pick<WorkloadOptions, 'accounts' | 'hotAccounts'>): AccountSpec[] {
  const hot = hotCount(o as WorkloadOptions);
  return Array.from({ length: o.accounts }, (_, i) => accountSpec(i, i < hot));
}

const SOURCES = ['renderer/eu-west-1', 'renderer/us-east-1', 'renderer/ap-south-1'];
const GATEWAYS = ['streaming/eu-west-1', 'streaming/us-east-1'];

/** The topic a usage event goes to on Kafka (events.md). */
export const topicOf = (e: UsageEvent): 'usage.renders' | 'usage.streaming' =>
  e.type === 'streaming.session.ended' ? 'usage.streaming' : 'usage.renders';

/**
 * The events, in sending order. Event time advances with the index across the day of usage;
 * late ones are 1 hour to 7 days behind; duplicates repeat one of the last 10,000 events.
 */
export function* usageEvents(o: WorkloadOptions): Generator<UsageEvent> {
  const random = seededRandom(o.seed ?? 42);
  const hot = Math.min(hotCount(o), o.accounts);
  const hotShare = o.hotShare ?? 0.2;
  const dupShare = o.duplicateShare ?? 0.02;
  const lateShare = o.lateShare ?? 0.03;
  const prefix = o.idPrefix ?? 'ev';
  const recent: UsageEvent[] = [];
  const specs = new Map<number, AccountSpec>();
  const spec = (i: number) => {
    let s = specs.get(i);
    if (!s) {
      s = accountSpec(i, i < hot);
      if (specs.size > 10_000) specs.clear();
      specs.set(i, s);
    }
    return s;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const iso = (t: number) => new Date(t).toISOString();

  for (let n = 0; n < o.events; n++) {
    if (recent.length > 100 && random() < dupShare && !(o.touchEveryAccountFirst && n < o.accounts)) {
      yield recent[Math.floor(random() * recent.length)];
      continue;
    }
    const i =
      o.touchEveryAccountFirst && n < o.accounts
        ? n
        : hot > 0 && random() < hotShare
          ? Math.floor(random() * hot)
          : Math.floor(random() * o.accounts);
    const a = spec(i);
    let t = USAGE_FROM_MS + Math.floor(((n + 1) / (o.events + 1)) * DAY_MS);
    if (random() < lateShare) t = Math.max(Date.parse(OPENED_AT) + 3_600_000, t - 3_600_000 - Math.floor(random() * 6 * DAY_MS));
    const id = `${prefix}-${n}`;
    const kind = random();
    let e: UsageEvent;
    if (kind < 0.35) {
      // A streaming session: API streaming, or LiveAvatar for accounts that have it.
      const durationMs = 30_000 + Math.floor(random() * random() * 1_800_000);
      const integration = a.liveAvatar && random() < 0.7 ? (random() < 0.6 ? 'live_avatar_full' : 'live_avatar_custom') : 'api';
      e = {
        specversion: '1.0',
        id,
        source: pick(GATEWAYS),
        type: 'streaming.session.ended',
        time: iso(t),
        subject: a.accountId,
        datacontenttype: 'application/json',
        data: { sessionId: `sess_${n}`, integration, startedAt: iso(t - durationMs), endedAt: iso(t) },
      };
    } else if (kind < 0.38) {
      e = {
        specversion: '1.0',
        id,
        source: pick(SOURCES),
        type: 'render.failed',
        time: iso(t),
        subject: a.accountId,
        datacontenttype: 'application/json',
        data: { jobId: `job_${n}`, product: 'avatar_video', reason: pick(['timeout', 'gpu_lost', 'cancelled']) },
      };
    } else {
      const p = random();
      const product = p < 0.85 ? 'avatar_video' : p < 0.95 ? 'video_translation' : 'proofreading';
      const data: Record<string, unknown> = { jobId: `job_${n}`, product };
      if (product === 'avatar_video') data.engine = random() < 0.8 ? 'unlimited' : 'avatar_iv';
      data.durationMs = 5_000 + Math.floor(random() * random() * (a.free ? 170_000 : 600_000));
      data.resolution = a.free ? '720p' : pick(['720p', '1080p', '1080p', '4k']);
      data.watermarked = a.free;
      e = {
        specversion: '1.0',
        id,
        source: pick(SOURCES),
        type: 'render.completed',
        time: iso(t),
        subject: a.accountId,
        datacontenttype: 'application/json',
        data,
      };
    }
    if (recent.length >= 10_000) recent[n % 10_000] = e;
    else recent.push(e);
    yield e;
  }
}
