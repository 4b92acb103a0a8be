// Where the dispatcher delivers notifications: a webhook (HMAC-SHA256 signed) or a Kafka topic.
import { createHmac } from 'crypto';
import { request as httpRequest } from 'http';
import { request as httpsRequest } from 'https';
import { Logger } from '@nestjs/common';
import { Kafka, logLevel, Producer } from 'kafkajs';
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

/** `sha256=<hex>`: HMAC-SHA256 of the exact request body with the shared secret. */
export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;

/** POSTs one notification per request; any 2xx answer is a delivery. */
export class WebhookSink implements Sink {
  constructor(private readonly config: Extract<NotificationSink, { kind: 'webhook' }>) {}

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
            [SIGNATURE_HEADER]: signBody(this.config.secret, row.body),
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
