// Random account histories made by the account decider itself (for the projection specs): each
// account opens, starts and cancels plans, burns credits (some records late), places holds that
// its usage captures, failures and releases end or time expires, and is advanced.
import {
  AccountCommand,
  AccountEvent,
  addMs,
  AccountState,
  DEFAULT_BOOK,
  decide,
  encodeAccountEventData,
  evolveInPlace,
  initialAccountState,
  Instant,
  PlanId,
  UsageKind,
} from '@ledger/domain';
import { EventStore, StreamAppend } from '@ledger/event-store';
import { accountStream } from '@ledger/domain';

const KINDS: UsageKind[] = [
  'avatar_video.unlimited',
  'avatar_video.avatar_iv',
  'video_translation',
  'streaming.api',
  'streaming.live_avatar_full',
  'streaming.live_avatar_custom',
];
const PLANS: { plan: PlanId; autoRenew?: boolean; allowOverage?: boolean }[] = [
  { plan: 'api_pro' },
  { plan: 'api_pro', allowOverage: true },
  { plan: 'api_scale', autoRenew: true },
  { plan: 'api_scale', autoRenew: true, allowOverage: true },
  { plan: 'live_avatar' },
  { plan: 'live_avatar', autoRenew: true, allowOverage: true },
];

export interface AccountHistory {
  accountId: string;
  events: AccountEvent[];
  state: AccountState;
}

/** One account's history over about `days` days from `start`. */
export function randomHistory(accountId: string, random: () => number, start: Instant, days: number): AccountHistory {
  let state = initialAccountState();
  const events: AccountEvent[] = [];
  const run = (cmd: AccountCommand) => {
    const out = decide(cmd, state, { book: DEFAULT_BOOK });
    if (out.rejection) return; // what the clock owed is recorded by the next command
    for (const e of out.events) {
      state = evolveInPlace(state, e);
      events.push(e);
    }
  };
  let now = start;
  run({ type: 'OpenAccount', accountId, name: accountId, now });
  const end = addMs(start, days * 86_400_000);
  let n = 0;
  while (now < end) {
    now = addMs(now, Math.floor(random() * 2 * 86_400_000));
    const r = random();
    if (r < 0.06) run({ type: 'StartPlan', ...PLANS[Math.floor(random() * PLANS.length)], now });
    else if (r < 0.09) run({ type: 'CancelPlan', wallet: random() < 0.5 ? 'api' : 'live_avatar', now });
    else if (r < 0.2) run({ type: 'Advance', now });
    else if (r < 0.3) {
      // Holds: placed for a job with a lifetime from a minute to three days, or ended by its usage, a failure or a release.
      const h = random();
      if (h < 0.5)
        run({
          type: 'PlaceHold',
          holdKey: `hk${n++}`,
          now,
          request: {
            kind: 'avatar_video.unlimited',
            estimatedDurationMs: 1000 + Math.floor(random() * 10 * 60_000),
            ttlMs: 60_000 + Math.floor(random() * 3 * 86_400_000),
          },
        });
      else if (h < 0.7)
        run({
          type: 'ChargeUsage',
          now,
          usage: {
            ref: { source: 'gen', id: `${accountId}-${n++}` },
            kind: 'avatar_video.unlimited',
            at: now,
            durationMs: 60_000,
            jobId: `hk${Math.floor(random() * n)}`,
          },
        });
      else if (h < 0.85)
        run({
          type: 'NoteRenderFailed',
          ref: { source: 'gen', id: `${accountId}-${n++}` },
          jobId: `hk${Math.floor(random() * n)}`,
          at: now,
          now,
        });
      else run({ type: 'ReleaseHold', holdId: `h${1 + Math.floor(random() * (state.holds.length + 1))}.${accountId}`, now });
    } else {
      const back = random() < 0.2 ? Math.floor(random() * 35 * 86_400_000) : 0;
      const at = addMs(now, -back);
      if (at < state.openedAt!) continue;
      const kind = KINDS[Math.floor(random() * KINDS.length)];
      run({
        type: 'ChargeUsage',
        now,
        usage: {
          ref: { source: 'gen', id: `${accountId}-${n++}` },
          kind,
          at,
          durationMs: 1000 + Math.floor(random() * 40 * 60_000),
          jobId: `j${n}`,
        },
      });
    }
  }
  return { accountId, events, state };
}

/** Appends the histories interleaved (a few events of each account at a time), as a live log would. */
export async function appendInterleaved(store: EventStore, histories: AccountHistory[], random: () => number): Promise<number> {
  const cursor = new Map(histories.map((h) => [h.accountId, 0]));
  const version = new Map(histories.map((h) => [h.accountId, 0]));
  let total = 0;
  for (;;) {
    const open = histories.filter((h) => cursor.get(h.accountId)! < h.events.length);
    if (open.length === 0) return total;
    const appends: StreamAppend[] = [];
    for (const h of open.filter(() => random() < 0.5).slice(0, 50)) {
      const from = cursor.get(h.accountId)!;
      const take = 1 + Math.floor(random() * 8);
      const chunk = h.events.slice(from, from + take);
      appends.push({
        streamId: accountStream(h.accountId),
        expectedVersion: version.get(h.accountId)!,
        events: chunk.map((e) => ({ type: e.type, data: encodeAccountEventData(e) })),
      });
      cursor.set(h.accountId, from + chunk.length);
      version.set(h.accountId, version.get(h.accountId)! + chunk.length);
      total += chunk.length;
    }
    if (appends.length) await store.append(appends);
  }
}
