// Configuration, read and validated once at start into a typed object. A bad setting stops
// the service with a message naming it.
import { readFileSync } from 'fs';
import { Catalog, CatalogBook, DEFAULT_BOOK } from '@ledger/domain';
import { EventStoreConfig } from '@ledger/event-store';
import { KafkaConfig, readKafkaConfig } from './kafka/kafka-config';
import { NotificationConfig, readNotificationConfig } from './notifications/notification-config';
import { ProcessConfig, readProcessConfig } from './process/process-config';

export interface LedgerConfig {
  store: EventStoreConfig;
  /** Schema of the store's tables. */
  schema: string;
  port: number;
  /** Simulation mode: the clock is moved by PUT /v1/simulation/clock. Refused in production. */
  simulation: { enabled: false } | { enabled: true; start: string };
  book: CatalogBook;
  /** Largest number of events accepted in one HTTP batch. */
  maxBatch: number;
  /** Process managers: deadlines, runner, leases (process/process-config.ts). */
  process: ProcessConfig;
  /** Notifications: thresholds, webhook or Kafka, retries (notifications/notification-config.ts). */
  notifications: NotificationConfig;
  /** Kafka ingest (kafka/kafka-config.ts): on when KAFKA_BROKERS is set. */
  kafka?: KafkaConfig;
}

export const LEDGER_CONFIG = Symbol('LEDGER_CONFIG');

export class ConfigError extends Error {
  constructor(setting: string, problem: string) {
    super(`configuration: ${setting} ${problem}`);
    this.name = 'ConfigError';
  }
}

const int = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  return Number(raw);
};

export function readConfig(env: NodeJS.ProcessEnv = process.env): LedgerConfig {
  const storeKind = env.LEDGER_STORE ?? (env.DATABASE_URL ? 'postgres' : 'pglite');
  let store: EventStoreConfig;
  if (storeKind === 'pglite') store = { kind: 'pglite', dataDir: env.LEDGER_DATA_DIR || undefined };
  else if (storeKind === 'postgres') {
    if (!env.DATABASE_URL) throw new ConfigError('DATABASE_URL', 'is required when LEDGER_STORE=postgres');
    store = { kind: 'postgres', url: env.DATABASE_URL };
  } else throw new ConfigError('LEDGER_STORE', `must be "pglite" or "postgres", got "${storeKind}"`);

  const schema = env.LEDGER_SCHEMA ?? 'ledger';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new ConfigError('LEDGER_SCHEMA', `must be a lower-case SQL identifier, got "${schema}"`);

  let simulation: LedgerConfig['simulation'] = { enabled: false };
  if (env.LEDGER_SIMULATION === 'true') {
    if (env.NODE_ENV === 'production') throw new ConfigError('LEDGER_SIMULATION', 'is refused when NODE_ENV=production');
    const start = env.LEDGER_SIMULATION_START ?? new Date().toISOString();
    if (Number.isNaN(Date.parse(start))) throw new ConfigError('LEDGER_SIMULATION_START', `is not an ISO-8601 instant: "${start}"`);
    simulation = { enabled: true, start: new Date(start).toISOString() };
  } else if (env.LEDGER_SIMULATION && env.LEDGER_SIMULATION !== 'false') {
    throw new ConfigError('LEDGER_SIMULATION', `must be "true" or "false", got "${env.LEDGER_SIMULATION}"`);
  }

  let book = DEFAULT_BOOK;
  if (env.LEDGER_CATALOG_FILE) {
    try {
      const parsed = JSON.parse(readFileSync(env.LEDGER_CATALOG_FILE, 'utf8')) as Catalog | Catalog[];
      book = (Array.isArray(parsed) ? parsed : [parsed]).sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
    } catch (err) {
      throw new ConfigError('LEDGER_CATALOG_FILE', `could not be read as a catalog: ${(err as Error).message}`);
    }
  }
  const fail = (setting: string, problem: string) => new ConfigError(setting, problem);
  const kafka = readKafkaConfig(env, fail);
  return {
    store, schema, port: int(env, 'PORT', 3000), simulation, book, maxBatch: int(env, 'LEDGER_MAX_BATCH', 5000), ...(kafka ? { kafka } : {}),
    process: readProcessConfig(env, fail), notifications: readNotificationConfig(env, fail),
  };
}
