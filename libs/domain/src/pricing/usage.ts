// A completed usage record, as the ledger keeps it after validating an upstream event.
import { Resolution, UsageKind, WalletId } from '../catalog/catalog';
import { Instant } from '../time/instant';

/** Identifies the upstream event: `source` + `id` (CloudEvents). */
export interface UsageRef {
  source: string;
  id: string;
}

export interface Usage {
  ref: UsageRef;
  kind: UsageKind;
  /** When the usage ended (event time): what it is charged against. */
  at: Instant;
  durationMs: number;
  /** The job or session upstream. */
  jobId: string;
  resolution?: Resolution;
  watermarked?: boolean;
}

export const walletOfKind = (kind: UsageKind): WalletId => (kind.startsWith('streaming.live_avatar') ? 'live_avatar' : 'api');
