// Notifications: recorded once each (thresholds once per period), readable over HTTP, delivered to
// a webhook with a valid signature (verifySignature, as a receiver checks it) and redelivered after
// failures, or to Kafka.
import { createHmac } from 'crypto';
import { createServer, IncomingMessage, Server } from 'http';
import { AddressInfo } from 'net';
import { Kafka, logLevel } from 'kafkajs';
import { LEDGER_DATABASE, SqlClient } from '@ledger/event-store';
import { LEDGER_SCHEMA } from '@ledger/service/store/store-config';
import { NotificationDispatcher } from '@ledger/service/notifications/dispatcher';
import { readNotificationConfig } from '@ledger/service/notifications/notification-config';
import { SIGNATURE_HEADER, verifySignature } from '@ledger/service/notifications/sinks';
import {
  describeEachBackend,
  eventually,
  Ledger,
  moveClock,
  notifications,
  openAccount,
  Place,
  postEvents,
  startLedger,
  video,
} from './support';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver on 127.0.0.1: records every request; `answer` picks the status of each. */
async function receiver(answer: (n: number, r: Received) => number | 'hang-up' = () => 204) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const status = answer(received.length, r);
      if (status === 'hang-up') req.socket.destroy();
      else res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks/ledger`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const SECRET = 'whsec_test_3f9a';
const nowSeconds = () => Date.now() / 1000;
const header = (r: Received, name: string) => r.headers[name] as string | undefined;
/** What a receiver does with a request: the signature header checked against the raw body, now. */
const check = (r: Received, secret = SECRET) => verifySignature(header(r, SIGNATURE_HEADER), r.body, secret, nowSeconds());

/** A Pro account through January: thresholds crossed in several records, then February. */
async function proMonth(l: Ledger, accountId: string): Promise<void> {
  await openAccount(l, accountId, { plan: 'api_pro' });
  await moveClock(l, '2026-01-10T00:00:00Z');
  await postEvents(l, [video(accountId, '2026-01-09T01:00:00Z', 79)]); // 79 %: nothing
  await postEvents(l, [video(accountId, '2026-01-09T02:00:00Z', 1)]); // 80 %
  await postEvents(l, [video(accountId, '2026-01-09T03:00:00Z', 5)]); // 85 %: nothing new
  await postEvents(l, [video(accountId, '2026-01-09T04:00:00Z', 10), video(accountId, '2026-01-09T05:00:00Z', 5)]); // 95 %, 100 %
  await postEvents(l, [video(accountId, '2026-01-09T06:00:00Z', 1)]); // beyond: uncovered, exhausted
  await postEvents(l, [video(accountId, '2026-01-09T07:00:00Z', 1)]); // still exhausted: told once
  await moveClock(l, '2026-02-01T00:00:00Z'); // period end, February's invoice and grant
  await postEvents(l, [video(accountId, '2026-02-01T00:00:00Z', 90)]); // February: 80 % and 90 % again
}

describeEachBackend('notifications', (backend) => {
  let place: Place;
  let ledger: Ledger | undefined;
  beforeEach(() => {
    place = backend.place();
  });
  afterEach(async () => {
    await ledger?.close();
    ledger = undefined;
    await place.cleanup();
  });

  it('are recorded once each: every threshold once per period, exhaustion once, period end and invoices', async () => {
    ledger = await startLedger(place);
    await proMonth(ledger, 'acct_n');
    await moveClock(ledger, '2026-02-01T00:00:00Z'); // caught up: notifications recorded
    const told = await notifications(ledger, 'acct_n');
    expect(told.map((n) => [n.kind, n.data.threshold ?? n.data.invoiceKind ?? n.data.reason ?? null, n.at])).toEqual([
      ['period_ended', 'replaced', '2026-01-01T00:00:00.000Z'], // api_free replaced by api_pro
      ['invoice_issued', 'plan', '2026-01-01T00:00:00.000Z'],
      ['balance_threshold', 80, '2026-01-09T02:00:00.000Z'],
      ['balance_threshold', 90, '2026-01-09T04:00:00.000Z'],
      ['balance_threshold', 100, '2026-01-09T05:00:00.000Z'],
      ['wallet_exhausted', null, '2026-01-09T06:00:00.000Z'],
      ['period_ended', 'boundary', '2026-02-01T00:00:00.000Z'],
      ['invoice_issued', 'plan', '2026-02-01T00:00:00.000Z'],
      ['balance_threshold', 80, '2026-02-01T00:00:00.000Z'],
      ['balance_threshold', 90, '2026-02-01T00:00:00.000Z'],
    ]);
    expect(told[2]).toMatchObject({
      id: expect.stringMatching(/^account-acct_n:\d+:balance_threshold_80$/),
      accountId: 'acct_n',
      wallet: 'api',
      deliveredAt: null,
    });
    expect(new Set(told.map((n) => n.id)).size).toBe(told.length);
    // paging after an id
    const rest = await ledger.http.get('/v1/accounts/acct_n/notifications').query({ after: told[7].id });
    expect(rest.body.notifications.map((n: any) => n.id)).toEqual(told.slice(8).map((n) => n.id));
    expect((await ledger.http.get('/v1/accounts/acct_nobody/notifications')).status).toBe(404);
  });

  it('are delivered to the webhook, signed with HMAC-SHA256 over a timestamp and the body, the id in a header', async () => {
    const hook = await receiver();
    try {
      ledger = await startLedger(place, { LEDGER_WEBHOOK_URL: hook.url, LEDGER_WEBHOOK_SECRET: SECRET, LEDGER_NOTIFY_POLL_MS: '10' });
      await proMonth(ledger, 'acct_w');
      const told = await eventually(async () => {
        const list = await notifications(ledger!, 'acct_w');
        return list.length >= 10 && list.every((n) => n.deliveredAt) && list;
      }, 'every notification delivered');
      expect(hook.received.map((r) => r.headers['x-ledger-notification-id'])).toEqual(told.map((n) => n.id));
      for (const r of hook.received) {
        // t=<unix seconds of the delivery, the wall clock, not the simulated one>,v1=<HMAC of "<t>.<body>">
        const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header(r, SIGNATURE_HEADER) ?? '') ?? [];
        expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${r.body}`).digest('hex'));
        expect(Math.abs(Number(t) - nowSeconds())).toBeLessThan(60);
        expect(check(r)).toEqual({ ok: true, timestamp: Number(t) });
        expect(r.headers['content-type']).toBe('application/json');
        const body = JSON.parse(r.body);
        expect(body.id).toBe(r.headers['x-ledger-notification-id']);
        expect(body.kind).toBe(r.headers['x-ledger-notification-kind']);
        expect(body.accountId).toBe('acct_w');
      }
      // a receiver refuses them with another secret, with a body changed on the way, or replayed later
      const first = hook.received[0];
      expect(check(first, 'not-the-secret')).toEqual({ ok: false, reason: 'mismatch' });
      expect(check({ ...first, body: first.body.replace('acct_w', 'acct_x') })).toEqual({ ok: false, reason: 'mismatch' });
      expect(verifySignature(header(first, SIGNATURE_HEADER), first.body, SECRET, nowSeconds() + 301)).toEqual({
        ok: false,
        reason: 'stale',
      });
    } finally {
      await ledger?.close();
      await hook.close();
    }
  });

  it('are redelivered after the webhook fails, with the same id and body, each attempt signed when sent, until it answers 2xx', async () => {
    // the receiver fails the first three requests (500, 503, hang-up), then accepts
    const hook = await receiver((n) => (n === 1 ? 500 : n === 2 ? 503 : n === 3 ? 'hang-up' : 200));
    try {
      ledger = await startLedger(place, {
        LEDGER_WEBHOOK_URL: hook.url,
        LEDGER_WEBHOOK_SECRET: SECRET,
        LEDGER_NOTIFY_POLL_MS: '10',
        LEDGER_NOTIFY_RETRY_MS: '30',
      });
      await openAccount(ledger, 'acct_r', { plan: 'api_pro' });
      await moveClock(ledger, '2026-01-02T00:00:00Z');
      const told = await eventually(async () => {
        const list = await notifications(ledger!, 'acct_r');
        return list.length >= 2 && list.every((n) => n.deliveredAt) && list;
      }, 'delivery after the failures');
      const first = told[0];
      const tries = hook.received.filter((r) => r.headers['x-ledger-notification-id'] === first.id);
      expect(tries).toHaveLength(4);
      expect(new Set(tries.map((r) => r.body)).size).toBe(1);
      const checks = tries.map((r) => check(r));
      expect(checks.every((c) => c.ok)).toBe(true);
      const times = checks.map((c) => (c.ok ? c.timestamp : NaN));
      expect(times).toEqual([...times].sort((a, b) => a - b)); // each retry signed when sent: never an older timestamp
      expect(first.attempts).toBe(4);
      // receivers dedupe by id: once deduped, each notification arrived exactly once, in order
      expect([...new Set(hook.received.map((r) => r.headers['x-ledger-notification-id']))]).toEqual(told.map((n) => n.id));
    } finally {
      await ledger?.close();
      await hook.close();
    }
  });

  const brokers = process.env.KAFKA_BROKERS;
  (brokers ? it : it.skip)(
    brokers
      ? 'are delivered to the Kafka topic ledger.notifications, keyed by account'
      : 'are delivered to Kafka: skipped, KAFKA_BROKERS not set',
    async () => {
      const accountId = `acct_k_${process.pid}_${Date.now().toString(36)}`;
      // The service without Kafka (KAFKA_BROKERS would also start the usage ingestor here), and a
      // dispatcher configured as KAFKA_BROKERS configures it, on the same outbox.
      ledger = await startLedger(place);
      await openAccount(ledger, accountId, { plan: 'api_pro' });
      await moveClock(ledger, '2026-01-02T00:00:00Z');
      const told = await notifications(ledger, accountId);
      expect(told.length).toBeGreaterThanOrEqual(2);
      const config = readNotificationConfig({ KAFKA_BROKERS: brokers! });
      expect(config.sink).toMatchObject({ kind: 'kafka', topic: 'ledger.notifications' });
      const dispatcher = new NotificationDispatcher(
        ledger.app.get<SqlClient>(LEDGER_DATABASE),
        ledger.app.get<string>(LEDGER_SCHEMA),
        config,
      );
      const kafka = new Kafka({ clientId: 'pm-test', brokers: brokers!.split(','), logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: `pm-test-${accountId}` });
      const got: { key: string; id: string; body: any }[] = [];
      try {
        await eventually(
          async () => {
            await dispatcher.step();
            return (await notifications(ledger!, accountId)).every((n) => n.deliveredAt);
          },
          'delivery to Kafka',
          60_000,
        );
        await consumer.connect();
        await consumer.subscribe({ topic: 'ledger.notifications', fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            if (message.key?.toString() !== accountId) return;
            got.push({
              key: message.key.toString(),
              id: message.headers!['notification-id']!.toString(),
              body: JSON.parse(message.value!.toString()),
            });
          },
        });
        await eventually(async () => got.length >= told.length, 'the messages on the topic', 60_000);
        expect(got.map((m) => m.id)).toEqual(told.map((n) => n.id));
        expect(got.every((m) => m.body.id === m.id && m.body.accountId === accountId)).toBe(true);
      } finally {
        await consumer.disconnect().catch(() => undefined);
        await dispatcher.close();
      }
    },
    120_000,
  );
});
