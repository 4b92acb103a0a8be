// The `usage` section of the configuration: the limits of the one way in for usage.
export interface UsageConfig {
  /** Most events in one call of the ingest port, whoever calls it (LEDGER_MAX_BATCH, 5000). */
  maxBatch: number;
}

export const USAGE_CONFIG = Symbol('USAGE_CONFIG');
