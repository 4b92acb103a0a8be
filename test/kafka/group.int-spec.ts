// Two ingestors in one consumer group, then one of them stopped (gracefully) while records keep
// coming: its partitions move to the other member, from the committed offsets; nothing is lost
// and nothing is charged twice. Member A runs inside the ledger service, member B is a second
// UsageConsumer: on PostgreSQL with a ledger of its own (another AccountLedger on the same
// schema, as another process would be), on PGlite sharing A's ledger (one PGlite per data dir).
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { Admin, Producer } from 'kafkajs';
import { KafkaIngestService } from '@ledger/service/kafka/kafka-ingest.service';
import { UsageConsumer } from '@ledger/service/kafka/usage-consumer';
import { UsageIngest } from '@ledger/service/usage/usage-ingest';
import {
  available,
  connectBroker,
  caughtUp,
  charges,
  configOf,
  createTopics,
  credits,
  DATABASE_URL,
  deleteTopics,
  describeKafka,
  kafkaEnv,
  lagReport,
  openAccounts,
  produce,
  record,
  renderEvent,
  repeated,
  startContext,
  startService,
  Stores,
  Topics,
  uid,
  waitFor,
} from './support';

describeKafka('Kafka ingest: two ingestors in one group, one stopped', () => {
  const stores = new Stores('group');
  let admin: Admin;
  let producer: Producer;
  let topics: Topics;
  let service: INestApplication | undefined;
  let other: INestApplicationContext | undefined;
  let memberB: UsageConsumer | undefined;

  beforeAll(async () => {
    ({ admin, producer } = await connectBroker());
    topics = await createTopics(admin, 'group', 6);
  });

  afterAll(async () => {
    await memberB?.stop();
    await other?.close();
    await service?.close();
    await producer?.disconnect();
    if (topics) await deleteTopics(admin, topics);
    await admin?.disconnect();
    await stores.cleanup();
  });

  it('(d) partitions move when a member leaves: every event charged exactly once', async () => {
    const groupId = `ledger-test-group-${uid()}`;
    const store = stores.fresh();
    // small fetches: many batches, so the stop lands while records are being processed
    const config = configOf({ ...store, ...kafkaEnv(topics, groupId, { KAFKA_MAX_BYTES_PER_PARTITION: '4096' }) });
    service = await startService(config);
    const memberA = service.get(KafkaIngestService);
    // 24 accounts (keys) over 6 partitions: both members get records (6 keys all landing on one
    // member's partitions happened often enough to fail a run).
    const accounts = Array.from({ length: 24 }, (_, i) => `acct_g${i}_${uid()}`);
    await openAccounts(service, accounts);
    const before = await Promise.all(accounts.map((a) => available(service!, a)));

    other = DATABASE_URL ? await startContext(configOf(store)) : undefined;
    memberB = new UsageConsumer({ config: config.kafka!, ingest: (other ?? service).get(UsageIngest), name: 'B' });
    await memberB.start();
    await waitFor('both members to hold partitions', async () => {
      const [g] = (await admin.describeGroups([groupId])).groups;
      return g.state === 'Stable' && g.members.length === 2;
    });

    const wave = () => accounts.flatMap((a) => Array.from({ length: 25 }, () => record(renderEvent(a))));
    await produce(producer, topics.renders, wave());
    await waitFor('both members to apply records', () => memberA.metrics.totals().accepted > 0 && memberB!.metrics.totals().accepted > 0);

    await produce(producer, topics.renders, wave());
    await memberB.stop(); // finishes its batch, commits, leaves the group
    const fromB = memberB.metrics.totals();
    await produce(producer, topics.renders, wave());

    const usage = [topics.renders, topics.streaming];
    await waitFor(
      'the group to commit everything',
      () => caughtUp(admin, groupId, usage),
      60_000,
      () => lagReport(admin, groupId, usage),
    );
    const [g] = (await admin.describeGroups([groupId])).groups;
    expect(g.members).toHaveLength(1);

    const fromA = memberA.metrics.totals();
    expect(fromB.accepted).toBeGreaterThan(0);
    expect(fromA.accepted).toBeGreaterThan(0);
    // each of the 1800 events accepted once over both members (a batch redelivered after a
    // rebalance would show as duplicates, never as a second charge)
    expect(fromA.accepted + fromB.accepted).toBe(1800);
    expect(fromA.deadLettered + fromB.deadLettered).toBe(0);

    for (const [i, a] of accounts.entries()) {
      const mine = await charges(service, a);
      expect(mine).toHaveLength(75);
      expect(repeated(mine)).toEqual([]);
      expect(before[i] - (await available(service, a))).toBe(credits('37.5'));
    }
  }, 90_000);
});
