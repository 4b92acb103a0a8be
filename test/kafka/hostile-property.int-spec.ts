// Property (issue 11) on Kafka: whatever value lands in whatever field of a usage record
// (full-unicode text, control characters, lone surrogates, huge strings, deep values, absurd
// numbers), the partition never stalls, the good records on either side of it are charged, and the
// hostile one is either charged (it was valid after all) or dead-lettered with its reason.
//   KAFKA_BROKERS=127.0.0.1:19092 NODE_OPTIONS=--experimental-vm-modules npx jest test/kafka/hostile-property.int-spec.ts
import fc from 'fast-check';
import { INestApplication } from '@nestjs/common';
import { Admin, Kafka, Producer } from 'kafkajs';
import { asKey } from '../support/access';
import { DEAD_LETTER_HEADERS as H } from '@ledger/service/kafka/dead-letter';
import {
  caughtUp,
  configOf,
  createTopics,
  describeKafka,
  kafkaEnv,
  lagReport,
  readTopic,
  renderEvent,
  startService,
  Stores,
  Topics,
  uid,
  useBroker,
  waitFor,
} from './support';

const CONTROL = fc.constantFrom('\u0000', '\u0001', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u2028', '\ud800', '\udfff');
const deepValue = fc.integer({ min: 1, max: 2000 }).map((depth) => {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { v };
  return v;
});
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 10 }), CONTROL, fc.string({ maxLength: 10 })).map(([a, c, b]) => a + c + b),
  fc.integer({ min: 1, max: 100_000 }).map((n) => 'h'.repeat(n)),
  deepValue,
  fc.constantFrom(1e308, -1e308, 1e15, 0, -1, 0.5, Number.MAX_SAFE_INTEGER, true, null, [], {}, '', ' '),
  fc.jsonValue({ maxDepth: 4 }),
);
const FIELDS = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'data',
  'data.jobId',
  'data.product',
  'data.engine',
  'data.durationMs',
  'data.resolution',
  'data.extra',
];

/** A copy of `e` with `value` at the dotted `path`. */
function withField<T extends object>(e: T, path: string, value: unknown): T {
  const copy = JSON.parse(JSON.stringify(e)) as Record<string, any>;
  const keys = path.split('.');
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k];
  at[keys[keys.length - 1]] = value;
  return copy as T;
}

describeKafka('Kafka: a hostile value in any field of a record', () => {
  const stores = new Stores('hostile');
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const apps: INestApplication[] = [];
  const topicSets: Topics[] = [];
  useBroker({ stores, apps, topicSets }, (c) => ({ kafka, admin, producer } = c));

  it('never stalls the partition: the neighbours are charged, the hostile record charged or dead-lettered', async () => {
    const topics = await createTopics(admin, 'hostile', 1);
    topicSets.push(topics);
    const groupId = `ledger-test-hostile-${uid()}`;
    const app = await startService(configOf({ ...stores.fresh(), ...kafkaEnv(topics, groupId) }));
    apps.push(app);
    const http = asKey(app.getHttpServer());
    const accountId = `acct_hostile_${uid()}`;
    await http.post('/v1/accounts').send({ accountId, name: accountId }).expect(201);
    await http.post(`/v1/accounts/${accountId}/plans`).send({ plan: 'api_scale' }).expect(201);

    const cases = fc.sample(fc.tuple(fc.constantFrom(...FIELDS), hostile), { numRuns: 40, seed: 20261202 });
    const good: string[] = [];
    for (const [field, value] of cases) {
      const before = renderEvent(accountId);
      const evil = withField(renderEvent(accountId), field, value);
      const after = renderEvent(accountId);
      good.push(before.id, after.id);
      // key = the account, whatever the record says: all on one partition, in order
      await producer.send({
        topic: topics.renders,
        acks: -1,
        messages: [before, evil, after].map((e) => ({ key: accountId, value: JSON.stringify(e) })),
      });
    }
    const usage = [topics.renders, topics.streaming];
    await waitFor(
      'the group to commit everything',
      () => caughtUp(admin, groupId, usage),
      60_000,
      () => lagReport(admin, groupId, usage),
    );

    const entries = (await http.get(`/v1/accounts/${accountId}/entries`).expect(200)).body.entries as {
      kind: string;
      usage?: { id: string };
    }[];
    const charged = new Set(entries.filter((e) => e.kind === 'charge').map((e) => e.usage!.id));
    expect(good.filter((id) => !charged.has(id))).toEqual([]); // every neighbour charged
    const hostileCharged = [...charged].filter((id) => !good.includes(id)).length;
    const deadLetters = cases.length - hostileCharged;
    // every hostile record that was not charged is on the dead-letter topic, with its reason
    const dead = deadLetters === 0 ? [] : await readTopic(kafka, topics.deadLetter, deadLetters, 30_000);
    expect(dead.length).toBe(deadLetters);
    for (const d of dead) {
      const reasons = JSON.parse(String(d.message.headers?.[H.reason])) as { field: string; message: string }[];
      expect(reasons.length).toBeGreaterThan(0);
      expect(reasons.every((r) => typeof r.message === 'string' && r.message.length > 0)).toBe(true);
    }
    process.stderr.write(
      `hostile Kafka records: ${cases.length} (${hostileCharged} valid after all and charged, ${deadLetters} dead-lettered); ${good.length} neighbours charged\n`,
    );
  }, 180_000);
});
