// The ledger's configuration, read and validated once at start into a typed object; each module
// gets its own section (config.module.ts). A bad setting stops the service with a message naming it.
import { readFileSync } from 'fs';
import { Catalog, CatalogBook, DEFAULT_BOOK } from '@ledger/domain';
import { StorageConfig } from '@ledger/event-store';
import { AccessConfig, readAccessConfig } from './access/access-config';
import { KafkaConfig, readKafkaConfig } from './kafka/kafka-config';
import { HoldsConfig, readHoldsConfig } from './holds/holds-config';
import { DashboardConfig, readDashboardConfig } from './dashboard/dashboard-config';
import { ConfigError, Env, isProduction, readChoice, readInt } from './kit/env';
import { NotificationConfig, readNotificationConfig } from './notifications/notification-config';
import { LoggingConfig, readLoggingConfig, readTracingConfig, TracingConfig } from './observability/observability-config';
import { ProcessConfig, readProcessConfig } from './process/process-config';
import { ProjectionConfig, readProjectionConfig } from './projections/projection-config';

export { ConfigError } from './kit/env';

export interface LedgerConfig {
  store: StorageConfig;
  /** Schema of the store's tables. */
  schema: string;
  port: number;
  /** Address the HTTP listeners bind: the service's PORT, the projector's PROJECTOR_PORT, the ingestor's KAFKA_METRICS_PORT (LEDGER_HOST, default 127.0.0.1; 0.0.0.0 in a container). */
  host: string;
  /** Simulation mode: the clock is moved by PUT /v1/simulation/clock. Refused in production. */
  simulation: { enabled: false } | { enabled: true; start: string };
  book: CatalogBook;
  /** Largest number of events accepted in one call of the usage ingest (HTTP, Kafka, file). */
  maxBatch: number;
  /** Largest HTTP request body, in bytes: a larger one answers 413 before it is parsed (LEDGER_MAX_BODY_BYTES). */
  maxBodyBytes: number;
  /** Account states the writer keeps in memory (accounts/accounts-config.ts). */
  accountCache: number;
  /** Access: keys, LEDGER_AUTH, the first admin key, rate limits (access/access-config.ts). */
  access: AccessConfig;
  /** Holds: the default lifetime (holds/holds-config.ts). */
  holds: HoldsConfig;
  /** Process managers: deadlines, runner, leases (process/process-config.ts). */
  process: ProcessConfig;
  /** Notifications: thresholds, webhook or Kafka, retries (notifications/notification-config.ts). */
  notifications: NotificationConfig;
  /** The finance projector and the read-your-writes wait (projections/projection-config.ts). */
  projections: ProjectionConfig;
  /** Kafka ingest (kafka/kafka-config.ts): on when KAFKA_BROKERS is set, unless KAFKA_INGEST=off (notifications still go to KAFKA_BROKERS). */
  kafka?: KafkaConfig;
  /** The built dashboard page (dashboard/dashboard-config.ts). */
  dashboard: DashboardConfig;
  /** JSON log lines: LEDGER_LOG_LEVEL (observability/observability-config.ts). */
  logging: LoggingConfig;
  /** OpenTelemetry traces: LEDGER_TRACING, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME (observability/observability-config.ts). */
  tracing: TracingConfig;
}

function readStore(env: Env): StorageConfig {
  const kind = readChoice(env, 'LEDGER_STORE', ['pglite', 'postgres', 'kurrentdb'], env.DATABASE_URL ? 'postgres' : 'pglite');
  if (kind === 'pglite') return { kind: 'pglite', dataDir: env.LEDGER_DATA_DIR || undefined };
  if (!env.DATABASE_URL)
    throw new ConfigError(
      'DATABASE_URL',
      `is required when LEDGER_STORE=${kind}${kind === 'kurrentdb' ? ' (checkpoints and read models live in PostgreSQL)' : ''}`,
    );
  checkDatabaseUrl(env.DATABASE_URL);
  if (kind === 'postgres') return { kind: 'postgres', url: env.DATABASE_URL };
  if (!env.KURRENTDB_URL)
    throw new ConfigError('KURRENTDB_URL', 'is required when LEDGER_STORE=kurrentdb (e.g. kurrentdb://127.0.0.1:2113?tls=false)');
  return { kind: 'kurrentdb', url: env.KURRENTDB_URL, databaseUrl: env.DATABASE_URL };
}

/** The sslmode values node-postgres knows (all but `disable` and `no-verify` verify the certificate and host name). */
const SSLMODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];

/**
 * TLS is set in the URL, as libpq's: `?sslmode=verify-full&sslrootcert=/path/ca.crt` (and
 * `sslcert`/`sslkey` for a client certificate). pg reads those files when it connects, so they
 * are checked here, at start. Messages name the parameter and its file, never the URL (it may
 * hold a password).
 */
function checkDatabaseUrl(url: string): void {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return; // not a URL (a libpq key=value string, a socket path): pg reports its own errors
  }
  const mode = params.get('sslmode');
  if (mode !== null && !SSLMODES.includes(mode))
    throw new ConfigError('DATABASE_URL', `has sslmode=${mode}: must be one of ${SSLMODES.join(', ')} (verify-full to check the server)`);
  for (const name of ['sslrootcert', 'sslcert', 'sslkey']) {
    const file = params.get(name);
    if (file === null) continue;
    try {
      readFileSync(file); // as pg will (a directory fails here too)
    } catch (err) {
      throw new ConfigError(
        'DATABASE_URL',
        `has ${name}=${file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
}

function readSimulation(env: Env): LedgerConfig['simulation'] {
  const on = readChoice(env, 'LEDGER_SIMULATION', ['true', 'false'], 'false');
  if (on === 'false') return { enabled: false };
  if (isProduction(env))
    throw new ConfigError(
      'LEDGER_SIMULATION',
      `is refused in production (NODE_ENV=${env.NODE_ENV?.trim()}: production or prod, in any case)`,
    );
  const start = env.LEDGER_SIMULATION_START ?? new Date().toISOString();
  if (Number.isNaN(Date.parse(start))) throw new ConfigError('LEDGER_SIMULATION_START', `is not an ISO-8601 instant: "${start}"`);
  return { enabled: true, start: new Date(start).toISOString() };
}

function readBook(env: Env): CatalogBook {
  if (!env.LEDGER_CATALOG_FILE) return DEFAULT_BOOK;
  try {
    const parsed = JSON.parse(readFileSync(env.LEDGER_CATALOG_FILE, 'utf8')) as Catalog | Catalog[];
    return (Array.isArray(parsed) ? parsed : [parsed]).sort((a, b) => a.effectiveFrom.localeCompare(b.effectiveFrom));
  } catch (err) {
    throw new ConfigError('LEDGER_CATALOG_FILE', `could not be read as a catalog: ${(err as Error).message}`);
  }
}

/** LEDGER_HOST: an IPv4 or IPv6 address or a host name, no port. */
function readHost(env: Env): string {
  const host = env.LEDGER_HOST?.trim() || '127.0.0.1';
  if (!/^[A-Za-z0-9.:_-]{1,253}$/.test(host))
    throw new ConfigError('LEDGER_HOST', `must be an address or host name to listen on (e.g. 0.0.0.0), got "${host}"`);
  return host;
}

export function readConfig(env: Env = globalThis.process.env): LedgerConfig {
  const store = readStore(env);
  const schema = env.LEDGER_SCHEMA ?? 'ledger';
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new ConfigError('LEDGER_SCHEMA', `must be a lower-case SQL identifier, got "${schema}"`);
  // KAFKA_INGEST=off: no consumer in this process (a process runner that only sends notifications to KAFKA_BROKERS).
  const ingest = readChoice(env, 'KAFKA_INGEST', ['on', 'off'], 'on');
  const kafka = ingest === 'on' ? readKafkaConfig(env) : undefined;
  const process = readProcessConfig(env);
  return {
    store,
    schema,
    port: readInt(env, 'PORT', 3000, 0, 65535),
    host: readHost(env),
    simulation: readSimulation(env),
    book: readBook(env),
    maxBatch: readInt(env, 'LEDGER_MAX_BATCH', 5000, 1),
    maxBodyBytes: readInt(env, 'LEDGER_MAX_BODY_BYTES', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    accountCache: readInt(env, 'LEDGER_ACCOUNT_CACHE', 20_000, 1),
    access: readAccessConfig(env),
    holds: readHoldsConfig(env),
    process,
    notifications: readNotificationConfig(env),
    projections: readProjectionConfig(env, process.instanceId),
    ...(kafka ? { kafka } : {}),
    dashboard: readDashboardConfig(env),
    logging: readLoggingConfig(env),
    tracing: readTracingConfig(env),
  };
}
