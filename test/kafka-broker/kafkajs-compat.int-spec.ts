// kafkajs 2.2.4 against a real Kafka broker: the calls the ledger makes (admin, a producer
// with acks -1 and no idempotence, a consumer group with eachBatch and manual commits, a
// rebalance) on a fresh topic of its own. Start a broker with `deploy/kafka/start.sh`, then
//   KAFKA_BROKERS=127.0.0.1:19092 NODE_OPTIONS=--experimental-vm-modules npx jest test/kafka-broker
// Without KAFKA_BROKERS the suite is skipped, and says so.
import { randomUUID } from 'crypto';
import { Admin, Consumer, EachBatchPayload, Kafka, LogEntry, logLevel, Partitioners, Producer, RecordMetadata } from 'kafkajs';

const BROKERS = process.env.KAFKA_BROKERS;
const CONTRACT_TOPICS = ['usage.renders', 'usage.streaming', 'usage.dead-letter', 'ledger.notifications'];

/** One message as a consumer saw it. */
interface Seen {
  member: string;
  partition: number;
  offset: number;
  seq: number;
}

if (!BROKERS) {
  // jest does not list a file whose tests are all skipped, so say it once on the console too
  console.warn('kafka broker: skipped, KAFKA_BROKERS not set (deploy/kafka/start.sh prints it)');
  describe.skip('kafka broker: skipped, KAFKA_BROKERS not set', () => {
    it('kafkajs 2.2.4 against a real broker (start one with deploy/kafka/start.sh)', () => undefined);
  });
} else {
  describe(`kafka broker at ${BROKERS}: kafkajs 2.2.4`, () => {
    const PARTITIONS = 3;
    const PER_PARTITION = 100; // each of the first two rounds
    const topic = `kafkajs-compat.${Date.now()}.${randomUUID().slice(0, 8)}`;
    const groupId = `kafkajs-compat-${randomUUID().slice(0, 8)}`;

    // kafkajs logs rebalances as errors: keep its log for the failure messages instead.
    const log: string[] = [];
    const kafka = new Kafka({
      clientId: 'kafkajs-compat',
      brokers: BROKERS.split(','),
      connectionTimeout: 5000,
      logLevel: logLevel.INFO,
      logCreator: () => (entry: LogEntry) => {
        log.push(`${logLevel[entry.level]} ${entry.namespace}: ${entry.log.message}`);
        if (log.length > 200) log.shift();
      },
    });

    let admin: Admin;
    let producer: Producer;
    const consumers: Consumer[] = [];
    const seen: Seen[] = [];
    const produced = new Map<number, number>(); // partition -> messages produced so far

    async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30000) {
      const deadline = Date.now() + timeoutMs;
      while (!(await cond())) {
        if (Date.now() > deadline) {
          throw new Error(`timed out waiting for ${what}; kafkajs said:\n${log.slice(-15).join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    /** Sends `count` messages to every partition, each with its per-partition sequence number. */
    async function produceRound(count: number): Promise<RecordMetadata[]> {
      const results: RecordMetadata[] = [];
      for (let start = 0; start < count; start += 25) {
        const messages = [];
        for (let partition = 0; partition < PARTITIONS; partition++) {
          for (let i = start; i < Math.min(start + 25, count); i++) {
            const seq = (produced.get(partition) ?? 0) + i;
            messages.push({ partition, key: `p${partition}`, value: JSON.stringify({ partition, seq }) });
          }
        }
        results.push(...(await producer.send({ topic, acks: -1, messages })));
      }
      for (let partition = 0; partition < PARTITIONS; partition++) {
        produced.set(partition, (produced.get(partition) ?? 0) + count);
      }
      return results;
    }

    /** A group member that records what it sees and commits by hand after each batch. */
    function member(name: string) {
      const consumer = kafka.consumer({
        groupId,
        sessionTimeout: 10000,
        rebalanceTimeout: 10000,
        heartbeatInterval: 500,
        maxWaitTimeInMs: 200,
      });
      consumers.push(consumer);
      const joins: Array<Record<string, number[]>> = [];
      consumer.on(consumer.events.GROUP_JOIN, (e) => joins.push(e.payload.memberAssignment));
      const start = async () => {
        await consumer.connect();
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
            for (const message of batch.messages) {
              if (!isRunning() || isStale()) return;
              const { seq } = JSON.parse(message.value!.toString()) as { seq: number };
              seen.push({ member: name, partition: batch.partition, offset: Number(message.offset), seq });
              resolveOffset(message.offset);
            }
            const next = String(Number(batch.lastOffset()) + 1);
            await consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
            await heartbeat();
          },
        });
      };
      return { consumer, joins, start, name };
    }

    const committed = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0].partitions.map((p) => Number(p.offset));
    const highWatermarks = async () =>
      (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) => Number(p.high));

    beforeAll(async () => {
      admin = kafka.admin();
      await admin.connect();
      producer = kafka.producer({ idempotent: false, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
    });

    afterAll(async () => {
      await Promise.allSettled(consumers.map((c) => c.disconnect()));
      await producer?.disconnect();
      if (admin) {
        await admin.deleteTopics({ topics: [topic], timeout: 10000 }).catch(() => undefined);
        await admin.disconnect();
      }
    });

    it('admin: createTopics, fetchTopicMetadata, listTopics', async () => {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true })).toBe(true);
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics).toHaveLength(1);
      expect(topics[0].partitions).toHaveLength(PARTITIONS);
      for (const p of topics[0].partitions) expect(p.leader).toBeGreaterThanOrEqual(0);
      expect(await admin.listTopics()).toContain(topic);
      // auto.create.topics.enable=false: creating it again is refused, not a crash
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] })).toBe(false);
    });

    it('the topics of our contract exist (deploy/kafka/start.sh creates them)', async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: CONTRACT_TOPICS });
      expect(topics.map((t) => t.name).sort()).toEqual([...CONTRACT_TOPICS].sort());
      for (const t of topics) expect(t.partitions.length).toBeGreaterThanOrEqual(1);
    });

    it('producer: acks -1, not idempotent; every partition keeps the order it was sent in', async () => {
      const results = await produceRound(PER_PARTITION);
      for (const r of results) expect(r.errorCode).toBe(0);
      expect(await highWatermarks()).toEqual(Array(PARTITIONS).fill(PER_PARTITION));
    });

    it('consumer group: eachBatch with manual commits; a second member rebalances; nothing is lost', async () => {
      const a = member('A');
      await a.start();
      await waitFor('A to read the first round', () => seen.length >= PARTITIONS * PER_PARTITION);
      expect(a.joins[0]?.[topic]?.sort()).toEqual([0, 1, 2]);
      await waitFor('the first round committed', async () => (await committed()).every((o) => o === PER_PARTITION));

      // B joins: the group rebalances and the partitions are split between the two
      const b = member('B');
      await b.start();
      await waitFor('the rebalance', () => a.joins.length >= 2 && b.joins.length >= 1);
      const assignedA = a.joins[a.joins.length - 1][topic] ?? [];
      const assignedB = b.joins[b.joins.length - 1][topic] ?? [];
      expect(assignedA.length).toBeGreaterThan(0);
      expect(assignedB.length).toBeGreaterThan(0);
      expect([...assignedA, ...assignedB].sort()).toEqual([0, 1, 2]);
      const { members } = await admin.describeGroups([groupId]).then((d) => d.groups[0]);
      expect(members).toHaveLength(2);

      await produceRound(PER_PARTITION);
      const total = PARTITIONS * PER_PARTITION * 2;
      await waitFor('both members to read the second round', () => seen.length >= total);
      await waitFor('the second round committed', async () => (await committed()).every((o) => o === 2 * PER_PARTITION));
      expect(seen).toHaveLength(total); // no message twice

      for (let partition = 0; partition < PARTITIONS; partition++) {
        const mine = seen.filter((s) => s.partition === partition);
        // nothing lost: offsets 0..2*PER_PARTITION-1, each once; and in the order produced
        expect(mine.map((s) => s.offset)).toEqual([...Array(2 * PER_PARTITION).keys()]);
        expect(mine.map((s) => s.seq)).toEqual([...Array(2 * PER_PARTITION).keys()]);
        // the second round went to whoever holds the partition now
        const owner = assignedA.includes(partition) ? 'A' : 'B';
        expect(new Set(mine.slice(PER_PARTITION).map((s) => s.member))).toEqual(new Set([owner]));
      }
    });

    it('committed offsets hold: a new member resumes where the group stopped', async () => {
      await Promise.all(consumers.map((c) => c.disconnect()));
      await produceRound(1);
      const before = seen.length;
      const c = member('C');
      await c.start();
      await waitFor('C to read the third round', () => seen.length >= before + PARTITIONS);
      await waitFor('the third round committed', async () => (await committed()).every((o) => o === 2 * PER_PARTITION + 1));
      const fresh = seen.slice(before);
      expect(fresh).toHaveLength(PARTITIONS); // nothing re-read
      for (const s of fresh) {
        expect(s.member).toBe('C');
        expect(s.offset).toBe(2 * PER_PARTITION);
        expect(s.seq).toBe(2 * PER_PARTITION);
      }
      expect(await highWatermarks()).toEqual(Array(PARTITIONS).fill(2 * PER_PARTITION + 1));
    });
  });
}
