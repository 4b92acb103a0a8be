// The Kafka ingest's pure parts (no broker): the configuration section (its SASL and TLS
// settings with certificate files made by deploy/tls/make-certs.sh: needs openssl), dead-letter
// records, the Prometheus text.
import { execFileSync } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { inspect } from 'util';
import { KafkaMessage } from 'kafkajs';
import { ConfigError, readConfig } from '@ledger/service/config';
import { describeSecurity, kafkaSecurityOptions } from '@ledger/service/kafka/kafka-client';
import { DEAD_LETTER_HEADERS as H, deadLetterOf } from '@ledger/service/kafka/dead-letter';
import { IngestMetrics } from '@ledger/service/kafka/ingest-metrics';
import { MetricsRegistry } from '@ledger/service/kit/metrics-registry';

describe('kafka configuration (readConfig)', () => {
  it('is off without KAFKA_BROKERS', () => {
    expect(readConfig({}).kafka).toBeUndefined();
    expect(readConfig({ KAFKA_BROKERS: ' ' }).kafka).toBeUndefined();
  });

  it('has the defaults of events.md and the brief', () => {
    expect(readConfig({ KAFKA_BROKERS: 'k1:9092, k2:9093' }).kafka).toEqual({
      brokers: ['k1:9092', 'k2:9093'],
      clientId: 'ledger',
      groupId: 'ledger-ingestor',
      topics: { renders: 'usage.renders', streaming: 'usage.streaming', deadLetter: 'usage.dead-letter' },
      concurrency: 24,
      maxBytesPerPartition: 1048576,
      sessionTimeoutMs: 30000,
      fromBeginning: true,
      metricsLogIntervalMs: 60000,
      security: {},
    });
  });

  it('reads every setting', () => {
    const k = readConfig({
      KAFKA_BROKERS: 'k:1',
      KAFKA_CLIENT_ID: 'c',
      KAFKA_GROUP_ID: 'g',
      KAFKA_TOPIC_RENDERS: 'r',
      KAFKA_TOPIC_STREAMING: 's',
      KAFKA_TOPIC_DEAD_LETTER: 'd',
      KAFKA_CONCURRENCY: '1',
      KAFKA_MAX_BYTES_PER_PARTITION: '4096',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_FROM_BEGINNING: 'false',
      KAFKA_METRICS_PORT: '9464',
      KAFKA_METRICS_LOG_MS: '0',
    }).kafka;
    expect(k).toEqual({
      brokers: ['k:1'],
      clientId: 'c',
      groupId: 'g',
      topics: { renders: 'r', streaming: 's', deadLetter: 'd' },
      concurrency: 1,
      maxBytesPerPartition: 4096,
      sessionTimeoutMs: 6000,
      fromBeginning: false,
      metricsPort: 9464,
      metricsLogIntervalMs: 0,
      security: {},
    });
  });

  it.each([
    [{ KAFKA_BROKERS: 'no-port' }, /KAFKA_BROKERS must be host:port/],
    [{ KAFKA_BROKERS: 'k:1', KAFKA_CONCURRENCY: '0' }, /KAFKA_CONCURRENCY must be a whole number >= 1/],
    [{ KAFKA_BROKERS: 'k:1', KAFKA_TOPIC_RENDERS: 'bad topic' }, /KAFKA_TOPIC_RENDERS is not a valid Kafka name/],
    [{ KAFKA_BROKERS: 'k:1', KAFKA_TOPIC_DEAD_LETTER: 'usage.renders' }, /KAFKA_TOPIC_DEAD_LETTER must differ/],
    [{ KAFKA_BROKERS: 'k:1', KAFKA_FROM_BEGINNING: 'yes' }, /KAFKA_FROM_BEGINNING must be "true" or "false"/],
    [{ KAFKA_BROKERS: 'k:1', KAFKA_METRICS_PORT: '70000' }, /KAFKA_METRICS_PORT must be a port number/],
  ])('refuses %j', (env, message) => {
    expect(() => readConfig(env)).toThrow(message);
  });
});

describe('kafka security settings (SASL, TLS)', () => {
  const PASSWORD = 'pw-Zx81-never-printed';
  let dir: string;
  let files: { ca: string; cert: string; key: string; otherKey: string; notPem: string; missing: string };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ledger-kafka-tls-'));
    // a CA and a certificate it signed, made as the test brokers' are
    execFileSync('bash', [join(__dirname, '../../deploy/tls/make-certs.sh'), dir], { stdio: ['ignore', 'ignore', 'inherit'] });
    const otherKey = join(dir, 'other.key');
    writeFileSync(otherKey, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello\n');
    files = {
      ca: join(dir, 'ca.crt'),
      cert: join(dir, 'server.crt'),
      key: join(dir, 'server.key'),
      otherKey,
      notPem,
      missing: join(dir, 'missing.crt'),
    };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const secured = (extra: Record<string, string> = {}) => ({
    KAFKA_BROKERS: 'k:9094',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: 'ledger',
    KAFKA_SASL_PASSWORD: PASSWORD,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: files.ca,
    ...extra,
  });

  it('read SCRAM and TLS with a CA file; the ingest and the notifications connect the same way', () => {
    const config = readConfig(secured());
    const security = config.kafka!.security;
    expect(security.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'ledger' });
    expect(security.sasl!.password.reveal()).toBe(PASSWORD);
    expect(security.tls).toEqual({ ca: { file: files.ca, pem: readFileSync(files.ca, 'utf8') }, rejectUnauthorized: true });
    expect(config.notifications.sink).toMatchObject({ kind: 'kafka', security });
    expect(describeSecurity(security)).toBe('SASL_SSL (scram-sha-512, user ledger)');
    const options = kafkaSecurityOptions(security);
    expect(options.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'ledger', password: PASSWORD });
    expect(options.ssl).toEqual({ rejectUnauthorized: true, ca: [readFileSync(files.ca, 'utf8')] });
  });

  it.each(['SCRAM-SHA-256', 'scram-sha-256', 'PLAIN'])('take the mechanism %j in any case', (mechanism) => {
    expect(readConfig(secured({ KAFKA_SASL_MECHANISM: mechanism })).kafka!.security.sasl!.mechanism).toBe(mechanism.toLowerCase());
  });

  it('read a client certificate, TLS without a CA file (the system CAs), and certificates not verified when asked', () => {
    const tls = readConfig({
      KAFKA_BROKERS: 'k:9093',
      KAFKA_SSL: 'true',
      KAFKA_SSL_CERT_FILE: files.cert,
      KAFKA_SSL_KEY_FILE: files.key,
      KAFKA_SSL_REJECT_UNAUTHORIZED: 'false',
    }).kafka!.security;
    expect(tls.sasl).toBeUndefined();
    expect(tls.tls!.ca).toBeUndefined();
    expect(tls.tls!.rejectUnauthorized).toBe(false);
    expect(tls.tls!.client!.key.reveal()).toBe(readFileSync(files.key, 'utf8'));
    expect(describeSecurity(tls)).toBe('SSL (certificates NOT verified)');
    expect(kafkaSecurityOptions(tls).ssl).toMatchObject({ rejectUnauthorized: false, key: readFileSync(files.key, 'utf8') });
    expect(describeSecurity(readConfig({ KAFKA_BROKERS: 'k:1' }).kafka!.security)).toBe('PLAINTEXT');
    const scramInClear = readConfig({ ...secured(), KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: '' }).kafka!.security;
    expect(describeSecurity(scramInClear)).toBe('SASL_PLAINTEXT (scram-sha-512, user ledger)');
  });

  it.each([
    [{ KAFKA_SASL_PASSWORD: '' }, /KAFKA_SASL_PASSWORD is required with KAFKA_SASL_USERNAME/],
    [{ KAFKA_SASL_USERNAME: '' }, /KAFKA_SASL_USERNAME is required with KAFKA_SASL_PASSWORD/],
    [{ KAFKA_SASL_MECHANISM: '' }, /KAFKA_SASL_MECHANISM is required with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/],
    [{ KAFKA_SASL_MECHANISM: 'gssapi' }, /KAFKA_SASL_MECHANISM must be one of "scram-sha-512", "scram-sha-256", "plain", got "gssapi"/],
    [
      { KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD: '' },
      /KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM/,
    ],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: '' },
      /"plain" sends the password as it is: it needs KAFKA_SSL=true/,
    ],
    [{ KAFKA_SSL: 'yes' }, /KAFKA_SSL must be "true" or "false", got "yes"/],
    [{ KAFKA_SSL: '' }, /KAFKA_SSL_CA_FILE is set but KAFKA_SSL is not "true"/],
    [{ KAFKA_SSL_REJECT_UNAUTHORIZED: 'no' }, /KAFKA_SSL_REJECT_UNAUTHORIZED must be "true" or "false"/],
    [{ KAFKA_SSL_CA_FILE: '/nonexistent/ca.crt' }, /KAFKA_SSL_CA_FILE cannot be read: \/nonexistent\/ca.crt \(ENOENT\)/],
    [{ KAFKA_SSL_CA_FILE: '/' }, /KAFKA_SSL_CA_FILE cannot be read: \/ \(EISDIR\)/],
  ])('refuse %j naming the setting, never the password', (extra, message) => {
    let error: unknown;
    try {
      readConfig(secured(extra));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it('refuse files that are not what they are said to be', () => {
    expect(() => readConfig(secured({ KAFKA_SSL_CA_FILE: files.notPem }))).toThrow(/KAFKA_SSL_CA_FILE is not a PEM certificate: /);
    expect(() => readConfig(secured({ KAFKA_SSL_CA_FILE: files.missing }))).toThrow(
      /KAFKA_SSL_CA_FILE cannot be read: .*missing.crt \(ENOENT\)/,
    );
    expect(() => readConfig(secured({ KAFKA_SSL_CERT_FILE: files.cert }))).toThrow(
      /KAFKA_SSL_KEY_FILE is required with KAFKA_SSL_CERT_FILE/,
    );
    expect(() => readConfig(secured({ KAFKA_SSL_KEY_FILE: files.key }))).toThrow(/KAFKA_SSL_CERT_FILE is required with KAFKA_SSL_KEY_FILE/);
    expect(() => readConfig(secured({ KAFKA_SSL_CERT_FILE: files.cert, KAFKA_SSL_KEY_FILE: files.ca }))).toThrow(
      /KAFKA_SSL_KEY_FILE is not a PEM private key/,
    );
    expect(() => readConfig(secured({ KAFKA_SSL_CERT_FILE: files.cert, KAFKA_SSL_KEY_FILE: files.otherKey }))).toThrow(
      /KAFKA_SSL_KEY_FILE and KAFKA_SSL_CERT_FILE are not a usable pair: .*\(.*key values mismatch\)/,
    );
  });

  it('never print the password or the private key: JSON, util.inspect, a template string', () => {
    const config = readConfig(secured({ KAFKA_SSL_CERT_FILE: files.cert, KAFKA_SSL_KEY_FILE: files.key }));
    const key = readFileSync(files.key, 'utf8');
    const keyLine = key.split('\n')[1];
    for (const printed of [JSON.stringify(config), inspect(config, { depth: 10 }), `${config.kafka!.security.sasl!.password}`]) {
      expect(printed).not.toContain(PASSWORD);
      expect(printed).not.toContain(keyLine);
    }
    expect(JSON.stringify(config.kafka!.security.sasl)).toBe('{"mechanism":"scram-sha-512","username":"ledger","password":"[redacted]"}');
    expect(inspect(config.kafka!.security.sasl)).toContain('password: [redacted]');
    expect(Object.keys(config.kafka!.security.sasl!.password)).toEqual([]);
  });
});

describe('dead letters', () => {
  it('keep the original key, value and headers and add the reason, topic, partition, offset', () => {
    const original: KafkaMessage = {
      key: Buffer.from('acct_1'),
      value: Buffer.from('{"x":'),
      headers: { trace: Buffer.from('t-1') },
      offset: '42',
      timestamp: '1700000000000',
      attributes: 0,
    };
    const m = deadLetterOf(
      original,
      [
        { field: '$', message: 'not JSON' },
        { field: 'id', message: 'conflict', code: 'conflict' },
      ],
      { topic: 'usage.renders', partition: 3, groupId: 'g' },
      new Date('2026-01-02T03:04:05.000Z'),
    );
    expect(m.key).toBe(original.key);
    expect(m.value).toBe(original.value);
    expect(m.headers).toEqual({
      trace: original.headers!.trace,
      [H.reason]: '[{"field":"$","message":"not JSON"},{"field":"id","message":"conflict","code":"conflict"}]',
      [H.topic]: 'usage.renders',
      [H.partition]: '3',
      [H.offset]: '42',
      [H.group]: 'g',
      [H.timestamp]: '1700000000000',
      [H.at]: '2026-01-02T03:04:05.000Z',
    });
    expect(m.timestamp).toBeUndefined(); // the dead letter gets its own (retention counts from it)
  });
});

describe('ingest metrics', () => {
  it('render Prometheus text with zeros for tracked topics and the lag per partition', async () => {
    const m = new IngestMetrics('grp');
    m.track(['r', 's']);
    m.batchDone('r', { consumed: 10, accepted: 7, duplicates: 1, deadLettered: 2 });
    m.batchRetried();
    m.up = 1;
    const registry = new MetricsRegistry();
    m.register(registry, async () => [{ topic: 'r', partition: 0, high: 12, committed: 10, lag: 2 }]);
    const text = await registry.render();
    expect(text).toContain(
      '# TYPE ledger_kafka_messages_consumed_total counter\nledger_kafka_messages_consumed_total{group="grp",topic="r"} 10\nledger_kafka_messages_consumed_total{group="grp",topic="s"} 0\n',
    );
    expect(text).toContain('ledger_kafka_events_accepted_total{group="grp",topic="r"} 7');
    expect(text).toContain('ledger_kafka_events_duplicate_total{group="grp",topic="r"} 1');
    expect(text).toContain('ledger_kafka_events_dead_lettered_total{group="grp",topic="r"} 2');
    expect(text).toContain('ledger_kafka_batches_total{group="grp",topic="r"} 1');
    expect(text).toContain('ledger_kafka_batch_retries_total{group="grp"} 1');
    expect(text).toContain('ledger_kafka_consumer_up{group="grp"} 1');
    expect(text).toContain('# TYPE ledger_kafka_consumer_lag gauge\nledger_kafka_consumer_lag{group="grp",topic="r",partition="0"} 2');
    expect(m.summary([{ topic: 'r', partition: 0, high: 12, committed: 10, lag: 2 }])).toBe(
      'consumed 10 (accepted 7, duplicates 1, dead-lettered 2) in 1 batches, retries 1, lag 2',
    );
  });
});
