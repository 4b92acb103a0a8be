// Settings of the finance projections, read and validated once at start from the environment
// (a bad one stops the service with a message naming it).
import { Env, readChoice, readInt } from '../kit/env';

export interface ProjectionConfig {
  /** Run the projector in this process (LEDGER_PROJECTOR=on, the default) or not (off: `npm run projector` runs it). */
  enabled: boolean;
  /** Most events per projector transaction (LEDGER_PROJECTOR_BATCH, default 10,000). */
  batchSize: number;
  /** Lease lifetime in ms, renewed by every batch and while idle (LEDGER_PROJECTOR_LEASE_MS, default 10,000). */
  leaseMs: number;
  /** Poll interval once caught up, in ms (LEDGER_PROJECTOR_POLL_MS, default 50). */
  pollMs: number;
  /**
   * After a batch smaller than batchSize, how long events gather before the next one
   * (LEDGER_PROJECTOR_GATHER_MS, default 100; 0: at once). A reading route that waits for the
   * read models wakes the projector at once all the same.
   */
  gatherMs: number;
  /** How long a reading route waits for the read models to reach the log's head (LEDGER_READ_WAIT_MS, default 5,000). */
  readWaitMs: number;
  /** /health says "degraded" beyond this lag, in events (LEDGER_HEALTH_MAX_LAG, default 100,000). */
  healthMaxLag: number;
  /** This running copy's name, in the projector's lease (the process managers' LEDGER_INSTANCE_ID). */
  instanceId: string;
}

export const PROJECTION_CONFIG = Symbol('PROJECTION_CONFIG');

export function readProjectionConfig(env: Env, instanceId: string): ProjectionConfig {
  const int = (name: string, fallback: number, min: number, max = 1_000_000_000) => readInt(env, name, fallback, min, max);
  const on = readChoice(env, 'LEDGER_PROJECTOR', ['on', 'off', 'true', 'false'], 'on');
  return {
    enabled: on === 'on' || on === 'true',
    batchSize: int('LEDGER_PROJECTOR_BATCH', 10_000, 1, 1_000_000),
    leaseMs: int('LEDGER_PROJECTOR_LEASE_MS', 10_000, 100),
    pollMs: int('LEDGER_PROJECTOR_POLL_MS', 50, 1),
    gatherMs: int('LEDGER_PROJECTOR_GATHER_MS', 100, 0, 60_000),
    readWaitMs: int('LEDGER_READ_WAIT_MS', 5_000, 0),
    healthMaxLag: int('LEDGER_HEALTH_MAX_LAG', 100_000, 0),
    instanceId,
  };
}
