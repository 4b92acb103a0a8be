// The `notifications` section of the ledger's configuration.
//
// Where notifications go: the Kafka topic when KAFKA_BROKERS is set, else the webhook when
// LEDGER_WEBHOOK_URL is set, else nowhere (they stay readable at GET /v1/accounts/{id}/notifications).

export type NotificationSink =
  /** `security`: the same KAFKA_SASL_* and KAFKA_SSL* settings as the usage ingest's. */
  | { kind: 'kafka'; brokers: string[]; topic: string; clientId: string; security: KafkaSecurity }
  | { kind: 'webhook'; url: string; secret: Secret; timeoutMs: number }
  | { kind: 'none' };

export interface NotificationConfig {
  /** Percentages of a period's grant used that are told, once per period (LEDGER_NOTIFY_THRESHOLDS, "80,90,100"). */
  thresholds: number[];
  sink: NotificationSink;
  /** First retry after this many ms, doubling up to `retryMaxMs` (LEDGER_NOTIFY_RETRY_MS 1000, LEDGER_NOTIFY_RETRY_MAX_MS 300000). */
  retryMs: number;
  retryMaxMs: number;
  /** How often the dispatcher looks for undelivered notifications, in ms (LEDGER_NOTIFY_POLL_MS, 500). */
  pollMs: number;
  /** Most events per projection transaction (LEDGER_PROJECTION_BATCH, 5000: the same setting as the deadline projection's). */
  projectionBatch: number;
}

import { KafkaSecurity, readKafkaSecurity } from '../kafka/kafka-config';
import { ConfigError, Env, readBrokers, readInt } from '../kit/env';
import { Secret } from '../kit/secret';

export const NOTIFICATION_CONFIG = Symbol('NOTIFICATION_CONFIG');
const fail = (setting: string, problem: string) => new ConfigError(setting, problem);

export const NOTIFICATION_TOPIC = 'ledger.notifications';

export function readNotificationConfig(env: Env): NotificationConfig {
  const int = (name: string, fallback: number, min: number) => readInt(env, name, fallback, min);
  const rawThresholds = env.LEDGER_NOTIFY_THRESHOLDS ?? '80,90,100';
  const thresholds = rawThresholds
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map(Number);
  if (thresholds.length === 0 || thresholds.some((t) => !Number.isInteger(t) || t < 1 || t > 100))
    throw fail('LEDGER_NOTIFY_THRESHOLDS', `must be whole percentages from 1 to 100, comma-separated, got "${rawThresholds}"`);

  let sink: NotificationSink = { kind: 'none' };
  const list = readBrokers(env);
  if (list) {
    const topic = env.LEDGER_NOTIFY_TOPIC || NOTIFICATION_TOPIC;
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(topic)) throw fail('LEDGER_NOTIFY_TOPIC', `is not a valid Kafka topic name: "${topic}"`);
    sink = {
      kind: 'kafka',
      brokers: list,
      topic,
      clientId: `${env.KAFKA_CLIENT_ID || 'ledger'}-notifications`,
      security: readKafkaSecurity(env),
    };
  } else if (env.LEDGER_WEBHOOK_URL) {
    const url = env.LEDGER_WEBHOOK_URL;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw fail('LEDGER_WEBHOOK_URL', `is not a URL: "${url}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw fail('LEDGER_WEBHOOK_URL', `must be http or https, got "${url}"`);
    const secret = env.LEDGER_WEBHOOK_SECRET;
    if (!secret) throw fail('LEDGER_WEBHOOK_SECRET', 'is required with LEDGER_WEBHOOK_URL (every delivery is signed)');
    sink = { kind: 'webhook', url, secret: new Secret(secret), timeoutMs: int('LEDGER_WEBHOOK_TIMEOUT_MS', 10_000, 1) };
  }
  const retryMs = int('LEDGER_NOTIFY_RETRY_MS', 1000, 1);
  return {
    thresholds: [...new Set(thresholds)].sort((a, b) => a - b),
    sink,
    retryMs,
    retryMaxMs: Math.max(retryMs, int('LEDGER_NOTIFY_RETRY_MAX_MS', 300_000, 1)),
    pollMs: int('LEDGER_NOTIFY_POLL_MS', 500, 5),
    projectionBatch: readInt(env, 'LEDGER_PROJECTION_BATCH', 5000, 1, 100_000),
  };
}
