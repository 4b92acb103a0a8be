// A Kafka batch's log lines carry its topic, partition and offsets, and its span continues the
// trace of the first record's `traceparent` header (W3C; the CloudEvents distributed-tracing
// extension): the ledger's spans of that record's path are in the producer's trace. Needs a broker.
import { Admin, Producer } from 'kafkajs';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { openAccount, renderCompleted } from '../e2e/support';
import { configOf, connectBroker, createTopics, deleteTopics, describeKafka, kafkaEnv, Topics, uid, waitFor } from '../kafka/support';
import { Observed, startObserved } from './support';

describeKafka('a Kafka batch, observed', () => {
  let admin: Admin;
  let producer: Producer;
  let topics: Topics;
  let l: Observed;
  const exporter = new InMemorySpanExporter();
  beforeAll(async () => {
    ({ admin, producer } = await connectBroker());
    topics = await createTopics(admin, 'observed', 1);
    const env = kafkaEnv(topics, `observed-${uid()}`, {
      LEDGER_SIMULATION: 'true',
      LEDGER_SIMULATION_START: '2026-01-01T00:00:00Z',
      LEDGER_STORE: 'pglite',
    });
    l = await startObserved({ ...configOf(env), store: { kind: 'pglite' } }, exporter);
    await openAccount(l, 'acct_kafka_obs');
  });
  afterAll(async () => {
    await l?.close();
    await producer?.disconnect();
    if (topics) await deleteTopics(admin, topics);
    await admin?.disconnect();
  });

  it('logs with the batch its topic, partition and offsets, and continues the trace of its traceparent', async () => {
    const traceId = 'aaf92f3577b34da6a3ce929d0e0e4736';
    const event = renderCompleted({ id: `evt-${uid()}`, subject: 'acct_kafka_obs', time: '2026-01-01T00:00:30Z', durationMs: 30_000 });
    await producer.send({
      topic: topics.renders,
      acks: -1,
      messages: [
        { key: 'acct_kafka_obs', value: JSON.stringify(event), headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } },
        { key: 'acct_kafka_obs', value: 'not an event' }, // dead-lettered: the consumer says so in the batch's context
      ],
    });
    await waitFor('the dead letter line', () => l.lines.json().some((line) => /dead-lettered/.test(String(line.msg))), 30_000);
    const line = l.lines.json().find((line) => /dead-lettered/.test(String(line.msg)))!;
    expect(line).toMatchObject({ topic: topics.renders, partition: 0, offsets: '0..1', level: 40 });

    let spans = await l.spans();
    await waitFor('the batch span', async () => (spans = await l.spans()).some((s) => s.name === `process ${topics.renders}`), 10_000);
    const batch = spans.find((s) => s.name === `process ${topics.renders}`)!;
    expect(batch.spanContext().traceId).toBe(traceId);
    expect(batch.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(batch.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.batch.message_count': 2,
      'ledger.kafka.offsets': '0..1',
    });
    const ingest = spans.find((s) => s.name === 'ledger.ingest' && s.spanContext().traceId === traceId)!;
    expect(ingest.parentSpanContext?.spanId).toBe(batch.spanContext().spanId);
    expect(ingest.attributes).toMatchObject({ 'ledger.ingest.source': 'kafka' });
    expect(spans.some((s) => s.name === 'ledger.append' && s.spanContext().traceId === traceId)).toBe(true);
  }, 60_000);
});
