// The Kafka ingest's pure parts (no broker): the configuration section, dead-letter records,
// the Prometheus text.
import { KafkaMessage } from 'kafkajs';
import { readConfig } from '@ledger/service/config';
import { DEAD_LETTER_HEADERS as H, deadLetterOf } from '@ledger/service/kafka/dead-letter';
import { IngestMetrics } from '@ledger/service/kafka/ingest-metrics';

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
      concurrency: 3,
      maxBytesPerPartition: 1048576,
      sessionTimeoutMs: 30000,
      fromBeginning: true,
      metricsLogIntervalMs: 60000,
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
  it('render Prometheus text with zeros for tracked topics and the lag per partition', () => {
    const m = new IngestMetrics('grp');
    m.track(['r', 's']);
    m.batchDone('r', { consumed: 10, accepted: 7, duplicates: 1, deadLettered: 2 });
    m.batchRetried();
    m.up = 1;
    const text = m.render([{ topic: 'r', partition: 0, high: 12, committed: 10, lag: 2 }]);
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
