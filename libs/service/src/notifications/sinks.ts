// Where the dispatcher delivers notifications: a webhook (signed: HMAC-SHA256 over a timestamp
// and the body) or a Kafka topic.
import { createHmac, timingSafeEqual } from 'crypto';
import { request as httpRequest } from 'http';
import { request as httpsRequest } from 'https';
import { Logger } from '@nestjs/common';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { kafkaSecurityOptions } from '../kafka/kafka-client';
import { NotificationSink } from './notification-config';

export interface OutboxRow {
  id: string;
  accountId: string;
  kind: string;
  /** The exact bytes delivered (the notification as JSON). */
  body: string;
  attempts: number;
}

export interface Sink {
  /**
   * Delivers rows in order. Resolves with how many of the first rows were delivered; stops at the
   * first failure and reports it.
   */
  deliver(rows: OutboxRow[]): Promise<{ delivered: number; error?: string }>;
  close(): Promise<void>;
}

// ---- webhook ----

export const SIGNATURE_HEADER = 'x-ledger-signature';
export const ID_HEADER = 'x-ledger-notification-id';
export const KIND_HEADER = 'x-ledger-notification-kind';

/** How far a signature's timestamp may be from the receiver's clock, by default: 5 minutes. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const SCHEME = 'v1';
const HMAC_BYTES = 32;

const hmacOf = (secret: string, timestamp: number, body: string | Buffer): Buffer =>
  createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest();

/**
 * The signature header of one delivery, as Stripe signs webhooks: `t=<unix seconds>,v1=<hex>`,
 * the HMAC-SHA256 with the shared secret of `<t>.<body>` (the exact bytes of the request body).
 * The timestamp is signed with the body, so a captured request cannot be replayed later.
 */
export function signatureHeader(secret: string, body: string | Buffer, nowSeconds: number): string {
  const t = Math.floor(nowSeconds);
  return `t=${t},${SCHEME}=${hmacOf(secret, t, body).toString('hex')}`;
}

export type SignatureCheck =
  | { ok: true; timestamp: number }
  | {
      ok: false;
      /** `malformed`: no `t=` or no `v1=`; `stale`: the timestamp is beyond the tolerance (either way); `mismatch`: another body, timestamp or secret. */
      reason: 'malformed' | 'stale' | 'mismatch';
    };

/**
 * A receiver's check of a delivery (`x-ledger-signature`, the raw body as received, the shared
 * secret, the receiver's clock in unix seconds): the timestamp within `toleranceSeconds` of now
 * (default 300, in the past or the future), and one `v1` equal to the HMAC of `<t>.<body>`,
 * compared in constant time. Several `v1` values are allowed (a secret being rotated); other
 * schemes are ignored. Receivers also dedupe by `x-ledger-notification-id`: a redelivery inside
 * the tolerance is the same notification.
 */
export function verifySignature(
  header: string | undefined,
  body: string | Buffer,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of (header ?? '').split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const [key, value] = [part.slice(0, at).trim(), part.slice(at + 1).trim()];
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === SCHEME && /^[0-9a-f]+$/i.test(value) && value.length === HMAC_BYTES * 2) signatures.push(Buffer.from(value, 'hex'));
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = hmacOf(secret, timestamp, body);
  // every candidate is compared (no early exit), each in constant time
  let match = false;
  for (const s of signatures) match = timingSafeEqual(s, expected) || match;
  return match ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}

/**
 * POSTs one notification per request; any 2xx answer is a delivery. Each attempt is signed at
 * the moment it is sent (`now`: the wall clock in unix seconds, never the simulated clock: the
 * receiver checks the timestamp against its own), so a retry carries a fresh timestamp.
 */
export class WebhookSink implements Sink {
  constructor(
    private readonly config: Extract<NotificationSink, { kind: 'webhook' }>,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {}

  async deliver(rows: OutboxRow[]): Promise<{ delivered: number; error?: string }> {
    let delivered = 0;
    for (const row of rows) {
      const error = await this.post(row);
      if (error) return { delivered, error };
      delivered++;
    }
    return { delivered };
  }

  private post(row: OutboxRow): Promise<string | undefined> {
    const url = new URL(this.config.url);
    const body = Buffer.from(row.body, 'utf8');
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = send(
        url,
        {
          method: 'POST',
          timeout: this.config.timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            [ID_HEADER]: row.id,
            [KIND_HEADER]: row.kind,
            [SIGNATURE_HEADER]: signatureHeader(this.config.secret.reveal(), body, this.now()),
            'user-agent': 'usage-ledger-notifications/1',
          },
        },
        (res) => {
          res.resume(); // the answer's body is not read
          res.on('end', () =>
            resolve(res.statusCode && res.statusCode >= 200 && res.statusCode < 300 ? undefined : `HTTP ${res.statusCode}`),
          );
          res.on('error', (err) => resolve(err.message));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.config.timeoutMs} ms`)));
      req.on('error', (err) => resolve(err.message));
      req.end(body);
    });
  }

  async close(): Promise<void> {}
}

// ---- Kafka ----

/** Produces to the topic with key = account id, the id in a header; acks from all in-sync replicas. */
export class KafkaSink implements Sink {
  private readonly log = new Logger('KafkaNotifications');
  private producer?: Producer;
  private connecting?: Promise<Producer>;

  constructor(private readonly config: Extract<NotificationSink, { kind: 'kafka' }>) {}

  private connect(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const kafka = new Kafka({
        clientId: this.config.clientId,
        brokers: this.config.brokers,
        ...kafkaSecurityOptions(this.config.security),
        connectionTimeout: 5000,
        logLevel: logLevel.NOTHING,
      });
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: this.config.topic }], waitForLeaders: true });
      } catch (err) {
        this.log.warn(`could not make sure topic ${this.config.topic} exists: ${(err as Error).message}`);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      this.producer = producer;
      return producer;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async deliver(rows: OutboxRow[]): Promise<{ delivered: number; error?: string }> {
    try {
      const producer = await this.connect();
      await producer.send({
        topic: this.config.topic,
        acks: -1,
        messages: rows.map((r) => ({ key: r.accountId, value: r.body, headers: { 'notification-id': r.id, 'notification-kind': r.kind } })),
      });
      return { delivered: rows.length };
    } catch (err) {
      return { delivered: 0, error: (err as Error).message };
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }
}

export function createSink(config: NotificationSink): Sink | undefined {
  if (config.kind === 'webhook') return new WebhookSink(config);
  if (config.kind === 'kafka') return new KafkaSink(config);
  return undefined;
}
