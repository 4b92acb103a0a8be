// The `holds` section of the configuration: how long a hold lasts when the request names no ttl.
import { Env, readInt } from '../kit/env';

export interface HoldsConfig {
  /** A hold's lifetime when `ttlMs` is not given (LEDGER_HOLD_TTL_MS, one hour). */
  defaultTtlMs: number;
}

export const HOLDS_CONFIG = Symbol('HOLDS_CONFIG');

export const readHoldsConfig = (env: Env): HoldsConfig => ({ defaultTtlMs: readInt(env, 'LEDGER_HOLD_TTL_MS', 3_600_000, 1) });
