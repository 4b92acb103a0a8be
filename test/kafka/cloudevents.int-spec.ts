// The CloudEvents Kafka binding on the usage topics: structured records (content-type
// application/cloudevents+json, or no header: the format events.md always had) and binary records
// (ce_ headers, the data as the value), key = account id; a record that says neither clearly goes
// to the dead-letter topic with its reason. Then the official SDK (cloudevents 10.0.0) as the
// producer: its Kafka.structured and Kafka.binary messages sent with kafkajs. Ends in exact balances
// read over HTTP.
// Needs a broker:
//   deploy/kafka/start.sh
//   KAFKA_BROKERS=127.0.0.1:19092 NODE_OPTIONS=--experimental-vm-modules npx jest test/kafka/cloudevents.int-spec.ts
import { INestApplication } from '@nestjs/common';
import { CloudEvent, Kafka as CloudEventsKafka, KafkaMessage as CloudEventsKafkaMessage } from 'cloudevents';
import { Admin, IHeaders, Kafka, Message, Producer } from 'kafkajs';
import { DEAD_LETTER_HEADERS as H } from '@ledger/service/kafka/dead-letter';
import { asKey } from '../support/access';
import {
  caughtUp,
  configOf,
  useBroker,
  createTopics,
  describeKafka,
  headerText,
  kafkaEnv,
  lagReport,
  produce,
  readTopic,
  renderEvent,
  startService,
  Stores,
  streamingEvent,
  Topics,
  uid,
  waitFor,
} from './support';

type Envelope = ReturnType<typeof renderEvent> | ReturnType<typeof streamingEvent>;

/** A binary-mode record of an event: each attribute a ce_ header, datacontenttype the content-type, the data the value. */
export function binaryRecord(e: Envelope, extra: IHeaders = {}): Message {
  return {
    key: e.subject,
    value: JSON.stringify(e.data),
    headers: {
      ce_specversion: e.specversion,
      ce_id: e.id,
      ce_source: e.source,
      ce_type: e.type,
      ce_subject: e.subject,
      ce_time: e.time,
      'content-type': 'application/json',
      ...extra,
    },
  };
}

describeKafka('the CloudEvents Kafka binding', () => {
  const stores = new Stores('cloudevents');
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const apps: INestApplication[] = [];
  const topicSets: Topics[] = [];

  useBroker({ stores, apps, topicSets }, (c) => ({ kafka, admin, producer } = c));

  /** The service consuming fresh topics, and an account on api_scale (its grant: 660 credits) read over HTTP. */
  async function start(tag: string) {
    const topics = await createTopics(admin, tag, 1);
    topicSets.push(topics);
    const groupId = `ledger-test-${tag}-${uid()}`;
    const app = await startService(configOf({ ...stores.fresh(), ...kafkaEnv(topics, groupId) }));
    apps.push(app);
    const http = asKey(app.getHttpServer());
    const accountId = `acct_${tag}_${uid()}`;
    await http.post('/v1/accounts').send({ accountId, name: accountId }).expect(201);
    await http.post(`/v1/accounts/${accountId}/plans`).send({ plan: 'api_scale' }).expect(201);
    const usage = [topics.renders, topics.streaming];
    return {
      topics,
      accountId,
      drained: () =>
        waitFor(
          'the group to commit everything',
          () => caughtUp(admin, groupId, usage),
          30_000,
          () => lagReport(admin, groupId, usage),
        ),
      available: async () => (await http.get(`/v1/accounts/${accountId}/balances`).expect(200)).body.wallets.api.available as string,
      charged: async () =>
        ((await http.get(`/v1/accounts/${accountId}/entries`).expect(200)).body.entries as { kind: string; usage?: { id: string } }[])
          .filter((e) => e.kind === 'charge')
          .map((e) => e.usage!.id),
    };
  }

  it('structured and binary records are charged alike; the same event in the other mode is a duplicate', async () => {
    const s = await start('modes');
    const plain = renderEvent(s.accountId); // 0.5 each: unlimited 10 s
    const structured = renderEvent(s.accountId);
    const binary = renderEvent(s.accountId);
    const stream = streamingEvent(s.accountId, 600); // 2
    await producer.send({
      topic: s.topics.renders,
      acks: -1,
      messages: [
        { key: s.accountId, value: JSON.stringify(plain) },
        { key: s.accountId, value: JSON.stringify(structured), headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' } },
        binaryRecord(binary, { ce_traceparent: '00-abc-01' }),
        // each again in the other mode
        binaryRecord(plain),
        { key: s.accountId, value: JSON.stringify({ ...binary, traceparent: '00-abc-01' }) },
      ],
    });
    await producer.send({ topic: s.topics.streaming, acks: -1, messages: [binaryRecord(stream)] });
    await s.drained();
    expect(await s.available()).toBe('656.5'); // 660 - 3 x 0.5 - 2
    expect((await s.charged()).sort()).toEqual([plain.id, structured.id, binary.id, stream.id].sort());
  });

  it('a record that says neither mode clearly is dead-lettered with its reason; its neighbours are charged', async () => {
    const s = await start('unclear');
    const good = () => binaryRecord(renderEvent(s.accountId));
    const e = renderEvent(s.accountId);
    const { ce_id: _id, ...noId } = binaryRecord(e).headers!;
    const unclear: [string, Message, string][] = [
      ['no ce_id', { ...binaryRecord(e), headers: { ...noId, trace: 'u1' } }, 'ce_id'],
      [
        'an unknown content-type',
        { key: s.accountId, value: JSON.stringify(e), headers: { 'content-type': 'text/csv', trace: 'u2' } },
        'content-type',
      ],
      [
        'a content-type with no ce_ headers',
        { key: s.accountId, value: JSON.stringify(e), headers: { 'content-type': 'application/json', trace: 'u3' } },
        'content-type',
      ],
      ['data that is not JSON', { ...binaryRecord(e), value: '{"jobId":', headers: { ...binaryRecord(e).headers, trace: 'u4' } }, 'data'],
      ['a ce_id above 256 characters', binaryRecord({ ...e, id: 'i'.repeat(257) }, { trace: 'u5' }), 'id'],
    ];
    await producer.send({
      topic: s.topics.renders,
      acks: -1,
      messages: unclear.flatMap(([, record]) => [good(), record]).concat([good()]),
    });
    await s.drained();
    expect(await s.available()).toBe('657'); // 660 - the 6 good ones, 0.5 each
    const dead = await readTopic(kafka, s.topics.deadLetter, unclear.length);
    expect(dead).toHaveLength(unclear.length);
    const byTrace = new Map(dead.map((d) => [headerText(d.message.headers, 'trace'), d.message]));
    unclear.forEach(([name, record, field], i) => {
      const m = byTrace.get(`u${i + 1}`);
      expect(m).toBeDefined();
      expect(m!.value?.toString()).toBe(record.value);
      const reason = JSON.parse(headerText(m!.headers, H.reason)!) as { field: string; message: string }[];
      expect({ name, fields: reason.map((r) => r.field) }).toEqual({ name, fields: expect.arrayContaining([field]) });
    });
  });

  /**
   * kafkajs as the SDK's transport: the SDK's message as a record, its key, headers and timestamp as
   * they are, but for what kafkajs cannot send: a header the SDK leaves undefined (an attribute the
   * event does not have: no header) and data left an object (binary mode; serialised as JSON).
   */
  const recordOf = (m: CloudEventsKafkaMessage<unknown>): Message => ({
    key: m.key,
    value: typeof m.value === 'string' || Buffer.isBuffer(m.value) ? m.value : JSON.stringify(m.value),
    headers: Object.fromEntries(Object.entries(m.headers).filter(([, v]) => v !== undefined)) as IHeaders,
    ...(m.timestamp ? { timestamp: m.timestamp } : {}),
  });

  /** The SDK's event of one of ours, keyed by its account (the SDK's partitionkey is the record key). */
  const sdkEvent = (e: Envelope) =>
    new CloudEvent({
      specversion: '1.0',
      id: e.id,
      source: e.source,
      type: e.type,
      subject: e.subject,
      time: e.time,
      data: e.data,
      partitionkey: e.subject,
    });

  it('the SDK as producer: Kafka.structured and Kafka.binary records charged once each, redeliveries duplicates, exact balances', async () => {
    const s = await start('sdk');
    const structured = [
      sdkEvent(renderEvent(s.accountId)),
      sdkEvent(renderEvent(s.accountId, { engine: 'avatar_iv', durationMs: 45_000 })),
    ]; // 0.5, 6 (avatar_iv: 2 blocks x 3)
    const binary = [sdkEvent(renderEvent(s.accountId, { durationMs: 40_000 })), sdkEvent(streamingEvent(s.accountId, 900))]; // 1, 3
    const structuredRecords = structured.map((e) => recordOf(CloudEventsKafka.structured(e)));
    const binaryRecords = binary.map((e) => recordOf(CloudEventsKafka.binary(e)));
    expect(structuredRecords.map((r) => r.key)).toEqual([s.accountId, s.accountId]);
    expect(binaryRecords[0].headers).toMatchObject({ ce_id: binary[0].id, ce_subject: s.accountId });

    await produce(producer, s.topics.renders, [...structuredRecords, binaryRecords[0]]);
    await produce(producer, s.topics.streaming, [binaryRecords[1]]);
    // a producer that sends again (a retry after a lost ack)
    await produce(producer, s.topics.renders, [structuredRecords[0], binaryRecords[0]]);
    await s.drained();

    expect(await s.available()).toBe('649.5'); // 660 - 0.5 - 6 - 1 - 3
    expect((await s.charged()).sort()).toEqual([...structured, ...binary].map((e) => e.id).sort());
    expect(await readTopic(kafka, s.topics.deadLetter, 0, 2_000)).toEqual([]);
  });
});
