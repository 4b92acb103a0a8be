// The `kafka` section of the ledger's configuration: on when KAFKA_BROKERS is set.
// Read once at start (config.ts); a bad setting is a ConfigError naming it.
import { readFileSync } from 'fs';
import { createSecureContext } from 'tls';
import { ConfigError, Env, readBrokers, readChoice, readInt } from '../kit/env';
import { Secret } from '../kit/secret';

export const SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/**
 * How a client proves itself to the brokers and checks them: SASL, TLS, both or neither
 * (PLAINTEXT). The usage ingest and the notifications' producer connect the same way.
 */
export interface KafkaSecurity {
  /** KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD (all three or none). */
  sasl?: { mechanism: SaslMechanism; username: string; password: Secret };
  /** KAFKA_SSL=true: TLS to every broker. */
  tls?: KafkaTls;
}

export interface KafkaTls {
  /** The CAs a broker's certificate must chain to (KAFKA_SSL_CA_FILE, PEM, read at start); Node's own CAs without it. */
  ca?: { file: string; pem: string };
  /** A client certificate and its key, for brokers that ask for one (KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE, PEM, both or neither). */
  client?: { certFile: string; cert: string; keyFile: string; key: Secret };
  /** false: a broker's certificate and name are not checked (KAFKA_SSL_REJECT_UNAUTHORIZED, default true). */
  rejectUnauthorized: boolean;
}

export interface KafkaConfig {
  /** Bootstrap brokers, `host:port` each (KAFKA_BROKERS, comma-separated). */
  brokers: string[];
  /** KAFKA_CLIENT_ID (default `ledger`). */
  clientId: string;
  /** Consumer group of the ingestors (KAFKA_GROUP_ID, default `ledger-ingestor`). */
  groupId: string;
  /** KAFKA_TOPIC_RENDERS, KAFKA_TOPIC_STREAMING, KAFKA_TOPIC_DEAD_LETTER (events.md defaults). */
  topics: { renders: string; streaming: string; deadLetter: string };
  /**
   * Partitions processed at the same time, never two batches of one partition (KAFKA_CONCURRENCY,
   * 24: every partition of the chart's two topics). Group commit puts the batches worked at once in
   * one ledger transaction, so more at once means fewer, larger appends per fetch: on the Kafka
   * benchmark 12 instead of 3 cut p99 event-to-balance at a fixed load from 715 to 361 ms.
   */
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
  /** SASL and TLS (readKafkaSecurity); `{}` is PLAINTEXT. */
  security: KafkaSecurity;
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
    concurrency: int('KAFKA_CONCURRENCY', 24, 1),
    maxBytesPerPartition: int('KAFKA_MAX_BYTES_PER_PARTITION', 1024 * 1024, 1024),
    sessionTimeoutMs: int('KAFKA_SESSION_TIMEOUT_MS', 30_000, 1000),
    fromBeginning: fromBeginning === 'true',
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    metricsLogIntervalMs: int('KAFKA_METRICS_LOG_MS', 60_000),
    security: readKafkaSecurity(env),
  };
}

const TLS_SETTINGS = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE', 'KAFKA_SSL_REJECT_UNAUTHORIZED'] as const;

/**
 * The KAFKA_SASL_* and KAFKA_SSL* settings. Files are read now, so an unreadable one stops the
 * start. No message ever holds the password or a key: only setting names and file paths.
 */
export function readKafkaSecurity(env: Env): KafkaSecurity {
  const tls = readTls(env);
  const sasl = readSasl(env, tls !== undefined);
  return { ...(sasl ? { sasl } : {}), ...(tls ? { tls } : {}) };
}

function readSasl(env: Env, overTls: boolean): KafkaSecurity['sasl'] {
  const raw = env.KAFKA_SASL_MECHANISM?.trim() ?? '';
  const username = env.KAFKA_SASL_USERNAME ?? '';
  const password = env.KAFKA_SASL_PASSWORD ?? '';
  if (username && !password) throw fail('KAFKA_SASL_PASSWORD', 'is required with KAFKA_SASL_USERNAME');
  if (password && !username) throw fail('KAFKA_SASL_USERNAME', 'is required with KAFKA_SASL_PASSWORD');
  if (!raw && !username) return undefined;
  const choices = SASL_MECHANISMS.map((m) => `"${m}"`).join(', ');
  if (!raw) throw fail('KAFKA_SASL_MECHANISM', `is required with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD: ${choices}`);
  const mechanism = SASL_MECHANISMS.find((m) => m === raw.toLowerCase());
  if (!mechanism) throw fail('KAFKA_SASL_MECHANISM', `must be one of ${choices}, got "${raw}"`);
  if (!username) throw fail('KAFKA_SASL_USERNAME', `and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM=${mechanism}`);
  if (mechanism === 'plain' && !overTls)
    throw fail('KAFKA_SASL_MECHANISM', '"plain" sends the password as it is: it needs KAFKA_SSL=true (or use scram-sha-512)');
  return { mechanism, username, password: new Secret(password) };
}

function readTls(env: Env): KafkaTls | undefined {
  if (readChoice(env, 'KAFKA_SSL', ['true', 'false'], 'false') === 'false') {
    const stray = TLS_SETTINGS.find((s) => env[s]);
    if (stray) throw fail(stray, 'is set but KAFKA_SSL is not "true"');
    return undefined;
  }
  const rejectUnauthorized = readChoice(env, 'KAFKA_SSL_REJECT_UNAUTHORIZED', ['true', 'false'], 'true') === 'true';
  let ca: KafkaTls['ca'];
  if (env.KAFKA_SSL_CA_FILE) {
    const pem = readPem(env, 'KAFKA_SSL_CA_FILE', 'CERTIFICATE');
    usable('KAFKA_SSL_CA_FILE', () => createSecureContext({ ca: pem }), `holds no usable CA certificate: ${env.KAFKA_SSL_CA_FILE}`);
    ca = { file: env.KAFKA_SSL_CA_FILE, pem };
  }
  let client: KafkaTls['client'];
  const certFile = env.KAFKA_SSL_CERT_FILE;
  const keyFile = env.KAFKA_SSL_KEY_FILE;
  if (certFile && !keyFile) throw fail('KAFKA_SSL_KEY_FILE', 'is required with KAFKA_SSL_CERT_FILE');
  if (keyFile && !certFile) throw fail('KAFKA_SSL_CERT_FILE', 'is required with KAFKA_SSL_KEY_FILE');
  if (certFile && keyFile) {
    const cert = readPem(env, 'KAFKA_SSL_CERT_FILE', 'CERTIFICATE');
    const key = readPem(env, 'KAFKA_SSL_KEY_FILE', 'PRIVATE KEY');
    usable(
      'KAFKA_SSL_KEY_FILE',
      () => createSecureContext({ cert, key }),
      `and KAFKA_SSL_CERT_FILE are not a usable pair: ${keyFile}, ${certFile}`,
    );
    client = { certFile, cert, keyFile, key: new Secret(key) };
  }
  return { ...(ca ? { ca } : {}), ...(client ? { client } : {}), rejectUnauthorized };
}

/** The PEM text of the file a setting names. */
function readPem(env: Env, setting: string, kind: 'CERTIFICATE' | 'PRIVATE KEY'): string {
  const file = env[setting]!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fail(setting, `cannot be read: ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!new RegExp(`-----BEGIN [A-Z0-9 ]*${kind}-----`).test(text)) throw fail(setting, `is not a PEM ${kind.toLowerCase()}: ${file}`);
  if (kind === 'PRIVATE KEY' && /ENCRYPTED/.test(text)) throw fail(setting, `is an encrypted key (no passphrase setting): ${file}`);
  return text;
}

/** OpenSSL accepts it, or a ConfigError naming the setting with OpenSSL's reason (which quotes no content). */
function usable(setting: string, load: () => unknown, problem: string): void {
  try {
    load();
  } catch (err) {
    throw fail(setting, `${problem} (${(err as Error).message})`);
  }
}
