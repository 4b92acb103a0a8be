// The ledger on a secured Kafka listener: SASL SCRAM-SHA-512 over TLS, with the KAFKA_SASL_* and
// KAFKA_SSL* settings. deploy/kafka/start.sh opens it beside the plain listener (127.0.0.1:19094,
// a CA of its own, user `ledger` with a random password) and writes what a client needs to
// <cache>/run/<port>/secured.env; without it the file is skipped, saying why.
//   deploy/kafka/start.sh
//   KAFKA_BROKERS=127.0.0.1:19092 NODE_OPTIONS=--experimental-vm-modules npx jest test/kafka/secured
// The test's own clients are plain kafkajs given the same file (not the ledger's readers).
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { format, inspect } from 'util';
import { INestApplication, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Admin, Kafka, logLevel, Producer } from 'kafkajs';
import { asKey } from '../support/access';
import { LedgerConfig } from '@ledger/service/config';
import { LedgerModule } from '@ledger/service/ledger.module';
import { readNotificationConfig } from '@ledger/service/notifications/notification-config';
import { createSink } from '@ledger/service/notifications/sinks';
import { configureLedgerApp } from '../../apps/ledger/src/create-app';
import {
  available,
  caughtUp,
  charges,
  configOf,
  createTopics,
  credits,
  deleteTopics,
  describeSecuredKafka,
  headerText,
  kafkaEnv,
  lagReport,
  openAccounts,
  producerOf,
  readTopic,
  record,
  renderEvent,
  SecuredListener,
  Stores,
  Topics,
  uid,
  waitFor,
} from './support';

/** Every line the application logs (Nest's and kafkajs's), as printed. */
class CapturedLog implements LoggerService {
  readonly lines: string[] = [];
  private keep =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) =>
      void this.lines.push(`${level} ${format(message, ...rest)}`);
  log = this.keep('log');
  error = this.keep('error');
  warn = this.keep('warn');
  debug = this.keep('debug');
  verbose = this.keep('verbose');
  fatal = this.keep('fatal');
}

/** The all-in-one HTTP service, its log captured. */
async function startCaptured(config: LedgerConfig, log: CapturedLog): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(LedgerModule.forRoot(config), { logger: log, bodyParser: false });
  configureLedgerApp(app, config);
  try {
    await app.init();
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}

describeSecuredKafka('Kafka over SASL_SSL (SCRAM-SHA-512)', (listener: SecuredListener) => {
  const PASSWORD = listener.env.KAFKA_SASL_PASSWORD;
  const stores = new Stores('secured');
  const apps: INestApplication[] = [];
  const topicSets: Topics[] = [];
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let otherCa: string;

  /** The ledger's settings for the secured listener (and these topics and group). */
  const securedEnv = (topics: Topics, groupId: string, extra: Record<string, string> = {}) => ({
    ...kafkaEnv(topics, groupId),
    KAFKA_BROKERS: listener.brokers,
    ...listener.env,
    ...extra,
  });

  beforeAll(async () => {
    kafka = new Kafka({
      clientId: 'ledger-secured-test',
      brokers: [listener.brokers],
      ssl: { ca: [readFileSync(listener.env.KAFKA_SSL_CA_FILE, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: listener.env.KAFKA_SASL_USERNAME, password: PASSWORD },
      logLevel: logLevel.ERROR,
      connectionTimeout: 5000,
    });
    admin = kafka.admin();
    await admin.connect();
    producer = producerOf(kafka);
    await producer.connect();
    // a CA that signed nothing the broker shows
    otherCa = mkdtempSync(join(tmpdir(), 'ledger-other-ca-'));
    execFileSync('bash', [join(__dirname, '../../deploy/tls/make-certs.sh'), otherCa], { stdio: ['ignore', 'ignore', 'inherit'] });
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  afterAll(async () => {
    await producer?.disconnect();
    for (const t of topicSets.splice(0)) await deleteTopics(admin, t);
    await admin?.disconnect();
    await stores.cleanup();
    if (otherCa) rmSync(otherCa, { recursive: true, force: true });
  });

  const freshTopics = async (tag: string) => {
    const topics = await createTopics(admin, tag, 2);
    topicSets.push(topics);
    return topics;
  };

  it('a usage event produced over SCRAM and TLS is ingested by the ledger given KAFKA_SASL_* and KAFKA_SSL*; no log, /health or /metrics shows the password', async () => {
    const topics = await freshTopics('sec');
    const groupId = `ledger-secured-${uid()}`;
    const config = configOf({ ...stores.fresh(), ...securedEnv(topics, groupId) });
    expect(config.kafka!.security).toMatchObject({
      sasl: { mechanism: 'scram-sha-512', username: 'ledger' },
      tls: { rejectUnauthorized: true },
    });
    const log = new CapturedLog();
    const app = await startCaptured(config, log);
    apps.push(app);
    const acct = `acct_sec_${uid()}`;
    await openAccounts(app, [acct]);
    const before = await available(app, acct);

    const event = renderEvent(acct); // unlimited 10 s: 0.5 credit
    await producer.send({ topic: topics.renders, acks: -1, messages: [record(event)] });
    await waitFor(
      'the group to commit the record',
      () => caughtUp(admin, groupId, [topics.renders, topics.streaming]),
      30_000,
      () => lagReport(admin, groupId, [topics.renders, topics.streaming]),
    );
    expect(before - (await available(app, acct))).toBe(credits('0.5'));
    const [charge] = await charges(app, acct);
    expect(charge).toMatchObject({ id: event.id, provenance: { via: 'kafka', topic: topics.renders } });

    const http = asKey(app.getHttpServer());
    const health = await http.get('/health');
    const metrics = await http.get('/metrics').expect(200);
    expect(metrics.text).toContain('ledger_kafka_consumer_up');
    expect(log.lines.join('\n')).toContain(`on ${listener.brokers} over SASL_SSL (scram-sha-512, user ledger)`);
    for (const printed of [
      JSON.stringify(health.body),
      metrics.text,
      log.lines.join('\n'),
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
    ])
      expect(printed).not.toContain(PASSWORD);
  });

  it('notifications are produced over the same SCRAM and TLS settings', async () => {
    const topic = `test.sec-notify.${uid()}`;
    const config = readNotificationConfig({ KAFKA_BROKERS: listener.brokers, LEDGER_NOTIFY_TOPIC: topic, ...listener.env });
    const sink = createSink(config.sink)!;
    try {
      const row = { id: `n_${uid()}`, accountId: 'acct_sec_n', kind: 'threshold', body: '{"percent":80}', attempts: 0 };
      expect(await sink.deliver([row])).toEqual({ delivered: 1 });
      const [got] = await readTopic(kafka, topic, 1);
      expect(headerText(got.message.headers, 'notification-id')).toBe(row.id);
      expect(got.message.value!.toString()).toBe(row.body);
    } finally {
      await sink.close();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    }
  });

  it('a wrong password: the ledger does not start; the error says authentication failed, where and how, and holds no password', async () => {
    const wrong = `wrong-${uid()}-pw`;
    const topics = await freshTopics('secpw');
    const config = configOf({ ...stores.fresh(), ...securedEnv(topics, `ledger-secured-${uid()}`, { KAFKA_SASL_PASSWORD: wrong }) });
    const log = new CapturedLog();
    const failure = await startCaptured(config, log).then(
      (app) => {
        apps.push(app);
        return undefined;
      },
      (err: Error) => err,
    );
    expect(failure).toBeDefined();
    expect(failure!.message).toMatch(/^Kafka 127\.0\.0\.1:\d+ over SASL_SSL \(scram-sha-512, user ledger\): /);
    expect(failure!.message).toMatch(/SASL SCRAM SHA512 authentication failed/);
    expect(failure!.message).toMatch(/check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
    for (const printed of [failure!.message, failure!.stack ?? '', inspect(failure), log.lines.join('\n')]) {
      expect(printed).not.toContain(wrong);
      expect(printed).not.toContain(PASSWORD);
    }

    // the notifications' producer says the same, without the password
    const sink = createSink(
      readNotificationConfig({
        KAFKA_BROKERS: listener.brokers,
        ...listener.env,
        KAFKA_SASL_PASSWORD: wrong,
        LEDGER_NOTIFY_TOPIC: topics.deadLetter,
      }).sink,
    )!;
    try {
      const answer = await sink.deliver([{ id: 'n_x', accountId: 'acct_x', kind: 'threshold', body: '{}', attempts: 0 }]);
      expect(answer.delivered).toBe(0);
      expect(answer.error).toMatch(/authentication failed/);
      expect(answer.error).not.toContain(wrong);
    } finally {
      await sink.close();
    }
  }, 60_000);

  it("a CA that did not sign the broker's certificate: the ledger does not start, saying the certificate is not trusted", async () => {
    const topics = await freshTopics('secca');
    const config = configOf({
      ...stores.fresh(),
      ...securedEnv(topics, `ledger-secured-${uid()}`, { KAFKA_SSL_CA_FILE: join(otherCa, 'ca.crt') }),
    });
    const failure = await startCaptured(config, new CapturedLog()).then(
      (app) => {
        apps.push(app);
        return undefined;
      },
      (err: Error) => err,
    );
    expect(failure).toBeDefined();
    expect(failure!.message).toMatch(/^Kafka 127\.0\.0\.1:\d+ over SASL_SSL \(scram-sha-512, user ledger\): /);
    expect(failure!.message).toMatch(/certificate/);
    expect(failure!.message).toMatch(/check that KAFKA_SSL_CA_FILE holds the CA that signed the brokers' certificates/);
    expect(failure!.message).not.toContain(PASSWORD);
  }, 90_000);
});
