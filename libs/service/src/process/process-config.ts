// The `process` section of the ledger's configuration: the process managers (deadline projection,
// deadline runner, notification projection and dispatcher).
import { randomBytes } from 'crypto';
import { hostname } from 'os';
import { Env, readChoice, readInt } from '../kit/env';

export const PROCESS_CONFIG = Symbol('PROCESS_CONFIG');

export interface ProcessConfig {
  /** Background loops on (LEDGER_PROCESS, default true). Off: only PUT /v1/simulation/clock drives them. */
  enabled: boolean;
  /** How often the runner looks for due deadlines, in ms (LEDGER_PROCESS_POLL_MS, 1000). */
  pollMs: number;
  /** How often the projections look for new events once caught up, in ms (LEDGER_PROJECTION_POLL_MS, 200). */
  projectionPollMs: number;
  /** Most events per projection transaction (LEDGER_PROJECTION_BATCH, 5000). */
  projectionBatch: number;
  /**
   * After a batch smaller than projectionBatch, how long the projections let events gather before
   * the next (LEDGER_PROJECTION_GATHER_MS, 200; 0: at once). Under load a batch then holds what
   * this many ms bring: fewer transactions, and one state row per account for many events.
   */
  projectionGatherMs: number;
  /** Most accounts advanced per ledger transaction (LEDGER_PROCESS_ADVANCE_BATCH, 200). */
  advanceBatch: number;
  /** Deadline runner shards; one lease each, held by one running copy at a time (LEDGER_PROCESS_SHARDS, 1). */
  shards: number;
  /** Lease lifetime in ms; renewed every third of it (LEDGER_PROCESS_LEASE_MS, 15000). */
  leaseMs: number;
  /** This running copy's name in lease rows (LEDGER_INSTANCE_ID, default host:pid:random). */
  instanceId: string;
}

export const defaultInstanceId = (): string => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export const DEFAULT_PROCESS_CONFIG: Omit<ProcessConfig, 'instanceId'> = {
  enabled: true,
  pollMs: 1000,
  projectionPollMs: 200,
  projectionBatch: 5000,
  projectionGatherMs: 200,
  advanceBatch: 200,
  shards: 1,
  leaseMs: 15_000,
};

export function readProcessConfig(env: Env): ProcessConfig {
  const int = (name: string, fallback: number, min: number, max?: number) => readInt(env, name, fallback, min, max);
  const enabled = readChoice(env, 'LEDGER_PROCESS', ['true', 'false'], 'true');
  const d = DEFAULT_PROCESS_CONFIG;
  return {
    enabled: enabled === 'true',
    pollMs: int('LEDGER_PROCESS_POLL_MS', d.pollMs, 10),
    projectionPollMs: int('LEDGER_PROJECTION_POLL_MS', d.projectionPollMs, 5),
    projectionBatch: int('LEDGER_PROJECTION_BATCH', d.projectionBatch, 1, 100_000),
    projectionGatherMs: int('LEDGER_PROJECTION_GATHER_MS', d.projectionGatherMs, 0, 60_000),
    advanceBatch: int('LEDGER_PROCESS_ADVANCE_BATCH', d.advanceBatch, 1, 10_000),
    shards: int('LEDGER_PROCESS_SHARDS', d.shards, 1, 1024),
    leaseMs: int('LEDGER_PROCESS_LEASE_MS', d.leaseMs, 300),
    instanceId: env.LEDGER_INSTANCE_ID || defaultInstanceId(),
  };
}
