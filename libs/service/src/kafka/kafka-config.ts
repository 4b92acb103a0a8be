// The `kafka` section of the ledger's configuration: on when KAFKA_BROKERS is set.
// Read once at start (config.ts); a bad setting is a ConfigError naming it.
import { ConfigError, Env, readBrokers, readChoice, readInt } from '../kit/env';

export interface KafkaConfig {
  /** Bootstrap brokers, `host:port` each (KAFKA_BROKERS, comma-separated). */
  brokers: string[];
  /** KAFKA_CLIENT_ID (default `ledger`). */
  clientId: string;
  /** Consumer group of the ingestors (KAFKA_GROUP_ID, default `ledger-ingestor`). */
  groupId: string;
  /** KAFKA_TOPIC_RENDERS, KAFKA_TOPIC_STREAMING, KAFKA_TOPIC_DEAD_LETTER (events.md defaults). */
  topics: { renders: string; streaming: string; deadLetter: string };
  /** Partitions processed at the same time, never two batches of one partition (KAFKA_CONCURRENCY, 3). */
  concurrency: number;
  /** Bytes fetched per partition at most: bounds one batch = one ledger transaction (KAFKA_MAX_BYTES_PER_PARTITION, 1 MiB). */
  maxBytesPerPartition: number;
  /** A member silent this long leaves the group (KAFKA_SESSION_TIMEOUT_MS, 30000; the broker allows 6000 and up by default). */
  sessionTimeoutMs: number;
  /** A group without committed offsets starts at the earliest record (KAFKA_FROM_BEGINNING, true). */
  fromBeginning: boolean;
  /** Standalone ingestor only: port of its /metrics endpoint on 127.0.0.1 (KAFKA_METRICS_PORT; none when unset). */
  metricsPort?: number;
  /** How often the counters are logged, 0 = never (KAFKA_METRICS_LOG_MS, 60000). */
  metricsLogIntervalMs: number;
}

export const KAFKA_CONFIG = Symbol('KAFKA_CONFIG');

export const DEFAULT_KAFKA_TOPICS = { renders: 'usage.renders', streaming: 'usage.streaming', deadLetter: 'usage.dead-letter' } as const;

const fail = (setting: string, problem: string) => new ConfigError(setting, problem);

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** The kafka section, or undefined when KAFKA_BROKERS is unset or empty. */
export function readKafkaConfig(env: Env): KafkaConfig | undefined {
  const brokers = readBrokers(env);
  if (!brokers) return undefined;
  const int = (name: string, fallback: number, min = 0) => readInt(env, name, fallback, min);
  const name = (setting: string, fallback: string): string => {
    const v = env[setting] || fallback;
    if (!TOPIC_NAME.test(v)) throw fail(setting, `is not a valid Kafka name: "${v}"`);
    return v;
  };
  const fromBeginning = readChoice(env, 'KAFKA_FROM_BEGINNING', ['true', 'false'], 'true');
  const topics = {
    renders: name('KAFKA_TOPIC_RENDERS', DEFAULT_KAFKA_TOPICS.renders),
    streaming: name('KAFKA_TOPIC_STREAMING', DEFAULT_KAFKA_TOPICS.streaming),
    deadLetter: name('KAFKA_TOPIC_DEAD_LETTER', DEFAULT_KAFKA_TOPICS.deadLetter),
  };
  if (topics.deadLetter === topics.renders || topics.deadLetter === topics.streaming)
    throw fail('KAFKA_TOPIC_DEAD_LETTER', 'must differ from the usage topics');
  const metricsPort = env.KAFKA_METRICS_PORT ? int('KAFKA_METRICS_PORT', 0) : undefined;
  if (metricsPort !== undefined && metricsPort > 65535) throw fail('KAFKA_METRICS_PORT', `must be a port number, got "${metricsPort}"`);
  return {
    brokers,
    clientId: name('KAFKA_CLIENT_ID', 'ledger'),
    groupId: name('KAFKA_GROUP_ID', 'ledger-ingestor'),
    topics,
    concurrency: int('KAFKA_CONCURRENCY', 3, 1),
    maxBytesPerPartition: int('KAFKA_MAX_BYTES_PER_PARTITION', 1024 * 1024, 1024),
    sessionTimeoutMs: int('KAFKA_SESSION_TIMEOUT_MS', 30_000, 1000),
    fromBeginning: fromBeginning === 'true',
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    metricsLogIntervalMs: int('KAFKA_METRICS_LOG_MS', 60_000),
  };
}
