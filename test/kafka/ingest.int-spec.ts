// The Kafka ingest inside the all-in-one service (LedgerModule + KafkaIngestModule, HTTP on):
// producers (kafkajs, kcat) -> consumer group -> UsageIngest -> ledger; duplicates across Kafka
// and HTTP; dead letters; provenance on entries; redelivery; a store outage; GET /metrics.
// Needs a broker:
//   deploy/kafka/start.sh
//   KAFKA_BROKERS=127.0.0.1:19092 NODE_OPTIONS=--experimental-vm-modules npx jest test/kafka
// With DATABASE_URL the ledger runs on that PostgreSQL server (a fresh schema per test), else on PGlite.
import { spawnSync } from 'child_process';
import { randomUUID } from 'crypto';
import { INestApplication } from '@nestjs/common';
import { Admin, Kafka, Producer } from 'kafkajs';
import { EVENT_STORE, EventStore } from '@ledger/event-store';
import { AccountLedger } from '@ledger/service/accounts/account-ledger';
import { DEAD_LETTER_HEADERS as H } from '@ledger/service/kafka/dead-letter';
import {
  available,
  useBroker,
  BROKERS,
  caughtUp,
  charges,
  configOf,
  createTopics,
  credits,
  describeKafka,
  headerText,
  kafkaEnv,
  kcatPath,
  lagReport,
  metric,
  openAccounts,
  produce,
  readTopic,
  record,
  renderEvent,
  renderFailedEvent,
  repeated,
  SOURCE,
  startService,
  Stores,
  streamingEvent,
  Topics,
  uid,
  waitFor,
} from './support';
import { asKey } from '../support/access';

describeKafka('Kafka ingest in the ledger service', () => {
  const stores = new Stores('ingest');
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const apps: INestApplication[] = [];
  const topicSets: Topics[] = [];

  useBroker({ stores, apps, topicSets }, (c) => ({ kafka, admin, producer } = c));

  interface Started {
    app: INestApplication;
    topics: Topics;
    groupId: string;
    store: Record<string, string>;
    /** Until the group has committed every record of both usage topics. */
    drained(): Promise<void>;
    metrics(): Promise<string>;
  }

  async function start(
    tag: string,
    o: { topics?: Topics; groupId?: string; store?: Record<string, string>; partitions?: number } = {},
  ): Promise<Started> {
    const topics = o.topics ?? (await createTopics(admin, tag, o.partitions ?? 3));
    if (!o.topics) topicSets.push(topics);
    const groupId = o.groupId ?? `ledger-test-${tag}-${uid()}`;
    const store = o.store ?? stores.fresh();
    const app = await startService(configOf({ ...store, ...kafkaEnv(topics, groupId) }));
    apps.push(app);
    const usage = [topics.renders, topics.streaming];
    return {
      app,
      topics,
      groupId,
      store,
      drained: () =>
        waitFor(
          'the group to commit everything',
          () => caughtUp(admin, groupId, usage),
          30_000,
          () => lagReport(admin, groupId, usage),
        ),
      metrics: async () => {
        const res = await asKey(app.getHttpServer()).get('/metrics').expect(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain/);
        return res.text;
      },
    };
  }

  const stop = async (app: INestApplication) => {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  };

  it('(a) events produced with kafkajs and with kcat end up as the right balances; GET /metrics counts them', async () => {
    const s = await start('a');
    const http = asKey(s.app.getHttpServer());
    const [a1, a2] = [`acct_a1_${uid()}`, `acct_a2_${uid()}`];
    for (const id of [a1, a2]) {
      await http.post('/v1/accounts').send({ accountId: id, name: id }).expect(201);
      await http.post(`/v1/accounts/${id}/plans`).send({ plan: 'api_scale' }).expect(201);
    }
    const before = { a1: await available(s.app, a1), a2: await available(s.app, a2) };

    // a1 with kafkajs: 3 x unlimited 10 s (0.5 each) + avatar_iv 45 s (2 blocks x 3) + a failed render (0) + 600 s api streaming (2)
    await produce(
      producer,
      s.topics.renders,
      [
        renderEvent(a1),
        renderEvent(a1),
        renderEvent(a1),
        renderEvent(a1, { engine: 'avatar_iv', durationMs: 45_000 }),
        renderFailedEvent(a1),
      ].map((e) => record(e)),
    );
    await produce(producer, s.topics.streaming, [record(streamingEvent(a1, 600))]);

    // a2 with kcat, key and value separated by a tab: 4 x unlimited 10 s + avatar_iv 45 s + 600 s streaming
    const kcat = kcatPath();
    const lines = (events: { subject: string }[]) => events.map((e) => `${e.subject}\t${JSON.stringify(e)}\n`).join('');
    for (const [topic, events] of [
      [
        s.topics.renders,
        [renderEvent(a2), renderEvent(a2), renderEvent(a2), renderEvent(a2), renderEvent(a2, { engine: 'avatar_iv', durationMs: 45_000 })],
      ],
      [s.topics.streaming, [streamingEvent(a2, 600)]],
    ] as const) {
      const r = spawnSync(kcat, ['-P', '-b', BROKERS!, '-t', topic, '-K', '\t', '-H', 'producer=kcat', '-X', 'acks=all'], {
        input: lines([...events]),
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    }

    await s.drained();
    expect(before.a1 - (await available(s.app, a1))).toBe(credits('9.5'));
    expect(before.a2 - (await available(s.app, a2))).toBe(credits('10'));
    expect(await charges(s.app, a1)).toHaveLength(5);
    expect(await charges(s.app, a2)).toHaveLength(6);
    expect(Number((await admin.fetchTopicOffsets(s.topics.deadLetter))[0].high)).toBe(0);

    const text = await s.metrics();
    expect(metric(text, 'ledger_kafka_messages_consumed_total')).toBe(12);
    expect(metric(text, 'ledger_kafka_events_accepted_total')).toBe(12);
    expect(metric(text, 'ledger_kafka_events_duplicate_total')).toBe(0);
    expect(metric(text, 'ledger_kafka_events_dead_lettered_total')).toBe(0);
    expect(metric(text, 'ledger_kafka_batches_total')).toBeGreaterThanOrEqual(2);
    expect(metric(text, 'ledger_kafka_consumer_up')).toBe(1);
    expect(text).toContain(`ledger_kafka_consumer_lag{group="${s.groupId}",topic="${s.topics.renders}",partition="0"} 0`);
    expect(metric(text, 'ledger_kafka_consumer_lag')).toBe(0);
  });

  it('(b) the same source + id produced 3 times (two partitions) and sent over HTTP is charged once', async () => {
    const s = await start('b');
    const http = asKey(s.app.getHttpServer());
    const acct = `acct_b_${uid()}`;
    await openAccounts(s.app, [acct]);
    const before = await available(s.app, acct);
    const e = renderEvent(acct, { id: `evt-${randomUUID()}` });

    const first = await http.post('/v1/events').send([e]).expect(200);
    expect(first.body.results).toEqual([{ id: e.id, source: SOURCE, status: 'accepted' }]);
    const [meta] = await producer.send({ topic: s.topics.renders, acks: -1, messages: [record(e), record(e)] });
    // the third copy on another partition than the account's: dedupe does not rely on the key
    const other = (meta.partition + 1) % 3;
    await producer.send({ topic: s.topics.renders, acks: -1, messages: [{ ...record(e), partition: other }] });
    await s.drained();
    const again = await http.post('/v1/events').send([e]).expect(200);
    expect(again.body.results[0].status).toBe('duplicate');

    const mine = (await charges(s.app, acct)).filter((c) => c.id === e.id);
    expect(mine).toHaveLength(1);
    expect(mine[0].provenance).toMatchObject({ via: 'http' });
    expect(before - (await available(s.app, acct))).toBe(credits('0.5'));
    const text = await s.metrics();
    expect(metric(text, 'ledger_kafka_events_duplicate_total')).toBe(3);
    expect(metric(text, 'ledger_kafka_events_accepted_total')).toBe(0);
    expect(metric(text, 'ledger_kafka_events_dead_lettered_total')).toBe(0);
  });

  it('(e) poison records (not JSON, wrong schema, unknown account, conflict, empty) go to the dead-letter topic with reason, topic, partition, offset; the good ones around them are applied', async () => {
    const s = await start('e');
    const acct = `acct_e_${uid()}`;
    await openAccounts(s.app, [acct]);
    const before = await available(s.app, acct);
    const good = () => record(renderEvent(acct));
    const first = renderEvent(acct);
    const wrongSchema = { ...renderEvent(acct), data: { jobId: 'j', product: 'hologram', durationMs: -5 } };
    const unknown = renderEvent(`acct_nobody_${uid()}`);
    const conflict = { ...first, data: { ...first.data, durationMs: 99_000 } }; // same source + id, other body
    const poison = [
      { key: acct, value: '{"specversion": "1.0", "id": ', headers: { trace: 'p1' } }, // not JSON
      { key: acct, value: JSON.stringify(wrongSchema), headers: { trace: 'p2' } },
      { key: unknown.subject, value: JSON.stringify(unknown), headers: { trace: 'p3' } },
      { key: acct, value: JSON.stringify(conflict), headers: { trace: 'p4' } },
      { key: acct, value: null, headers: { trace: 'p5' } }, // a tombstone is no event either
    ];
    // all on partition 0 of a fresh topic: offsets 0..9, poison at 1, 3, 5, 7, 9
    const sequence = [record(first), poison[0], good(), poison[1], good(), poison[2], good(), poison[3], good(), poison[4]];
    await producer.send({ topic: s.topics.renders, acks: -1, messages: sequence.map((m) => ({ ...m, partition: 0 })) });
    await s.drained();

    expect(before - (await available(s.app, acct))).toBe(credits('2.5')); // the 5 good ones, 0.5 each
    expect(await charges(s.app, acct)).toHaveLength(5);

    const dead = await readTopic(kafka, s.topics.deadLetter, 5);
    expect(dead).toHaveLength(5);
    const byTrace = new Map(dead.map((d) => [headerText(d.message.headers, 'trace'), d.message]));
    const expected: [string, number, string][] = [
      ['p1', 1, '$'],
      ['p2', 3, 'data.product'],
      ['p3', 5, 'subject'],
      ['p4', 7, 'id'],
      ['p5', 9, '$'],
    ];
    for (const [trace, offset, field] of expected) {
      const m = byTrace.get(trace)!;
      const original = poison[Number(trace.slice(1)) - 1];
      expect(m).toBeDefined();
      expect(m.key?.toString()).toBe(original.key);
      expect(m.value === null ? null : m.value.toString()).toBe(original.value);
      expect(headerText(m.headers, H.topic)).toBe(s.topics.renders);
      expect(headerText(m.headers, H.partition)).toBe('0');
      expect(headerText(m.headers, H.offset)).toBe(String(offset));
      expect(headerText(m.headers, H.group)).toBe(s.groupId);
      const reason = JSON.parse(headerText(m.headers, H.reason)!) as { field: string; message: string; code?: string }[];
      expect(reason.map((r) => r.field)).toContain(field);
      for (const r of reason) expect(r.message).toEqual(expect.any(String));
    }
    expect(JSON.parse(headerText(byTrace.get('p2')!.headers, H.reason)!).map((r: { field: string }) => r.field)).toEqual(
      expect.arrayContaining(['data.product', 'data.durationMs']),
    );
    expect(JSON.parse(headerText(byTrace.get('p4')!.headers, H.reason)!)[0]).toMatchObject({ field: 'id', code: 'conflict' });

    const text = await s.metrics();
    expect(metric(text, 'ledger_kafka_events_dead_lettered_total')).toBe(5);
    expect(metric(text, 'ledger_kafka_events_accepted_total')).toBe(5);
  });

  it('(f) entries show where each charge came from: Kafka topic, partition, offset (HTTP ones say http)', async () => {
    const s = await start('f');
    const http = asKey(s.app.getHttpServer());
    const acct = `acct_f_${uid()}`;
    await openAccounts(s.app, [acct]);
    const viaKafka = [renderEvent(acct), renderEvent(acct)];
    const sent: { partition: number; offset: string; id: string; topic: string }[] = [];
    for (const [i, e] of viaKafka.entries()) {
      const [m] = await producer.send({ topic: s.topics.renders, acks: -1, messages: [{ ...record(e), partition: i + 1 }] });
      sent.push({ topic: s.topics.renders, partition: m.partition, offset: m.baseOffset!, id: e.id });
    }
    const st = streamingEvent(acct, 300);
    const [ms] = await producer.send({ topic: s.topics.streaming, acks: -1, messages: [record(st)] });
    sent.push({ topic: s.topics.streaming, partition: ms.partition, offset: ms.baseOffset!, id: st.id });
    const viaHttp = renderEvent(acct);
    await http.post('/v1/events').set('x-request-id', 'req-f-1').send([viaHttp]).expect(200);
    await s.drained();

    const { body } = await http.get(`/v1/accounts/${acct}/entries`).expect(200);
    const chargeEntries = body.entries.filter((e: { kind: string }) => e.kind === 'charge');
    expect(chargeEntries).toHaveLength(4);
    for (const x of sent) {
      const entry = chargeEntries.find((e: { usage: { id: string } }) => e.usage.id === x.id);
      expect(entry.provenance).toEqual({
        via: 'kafka',
        topic: x.topic,
        partition: x.partition,
        offset: x.offset,
        event: {
          source: entry.usage.source,
          id: x.id,
          type: x.topic === s.topics.streaming ? 'streaming.session.ended' : 'render.completed',
        },
      });
    }
    const fromHttp = chargeEntries.find((e: { usage: { id: string } }) => e.usage.id === viaHttp.id);
    expect(fromHttp.provenance).toMatchObject({ via: 'http', requestId: 'req-f-1', event: { id: viaHttp.id } });
  });

  it('redelivery of applied but uncommitted records (a crash between append and commit) answers duplicate: nothing is charged twice', async () => {
    const s = await start('redeliver');
    const accts = [`acct_r1_${uid()}`, `acct_r2_${uid()}`];
    await openAccounts(s.app, accts);
    const events = Array.from({ length: 60 }, (_, i) => renderEvent(accts[i % 2]));
    await produce(
      producer,
      s.topics.renders,
      events.map((e) => record(e)),
    );
    await s.drained();
    const after = await Promise.all(accts.map((a) => available(s.app, a)));
    await stop(s.app);

    // as if none of the commits had happened: a group without offsets reads every record again
    // (admin.resetOffsets on the old group does the same, but takes seconds to join and leave)
    const again = await start('redeliver', { topics: s.topics, store: s.store });
    await again.drained();
    const text = await again.metrics();
    expect(metric(text, 'ledger_kafka_messages_consumed_total')).toBe(60);
    expect(metric(text, 'ledger_kafka_events_duplicate_total')).toBe(60);
    expect(metric(text, 'ledger_kafka_events_accepted_total')).toBe(0);
    expect(await Promise.all(accts.map((a) => available(again.app, a)))).toEqual(after);
    const all = (await Promise.all(accts.map((a) => charges(again.app, a)))).flat();
    expect(all).toHaveLength(60);
    expect(repeated(all)).toEqual([]);
  });

  it('a record the store refuses (not an outage) is dead-lettered as unrecordable; the batch around it is charged, the partition goes on', async () => {
    const s = await start('refused');
    const acct = `acct_r_${uid()}`;
    await openAccounts(s.app, [acct]);
    const before = await available(s.app, acct);
    const store = s.app.get<EventStore>(EVENT_STORE);
    const real = store.append.bind(store);
    const poison = renderEvent(acct, { id: `poison-${uid()}` });
    // What PostgreSQL answers for a row it cannot index: a refusal that belongs to this record.
    const spy = jest.spyOn(store, 'append').mockImplementation(async (appends) => {
      if (appends.some((a) => a.events.some((e) => (e.metadata as any)?.event?.id === poison.id)))
        throw Object.assign(new Error('index row requires 12048 bytes, maximum size is 8191'), { code: '54000' });
      return real(appends);
    });
    // Validation's own poison pills too: a NUL in jobId, a lone surrogate in id, data 10,000 deep.
    const nul = { ...renderEvent(acct), data: { ...renderEvent(acct).data, jobId: 'job\u0000' } };
    const surrogate = renderEvent(acct, { id: 'a\ud800' });
    const deepText = JSON.stringify(renderEvent(acct)).replace(/}}$/, `,"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`);
    const sequence = [
      record(renderEvent(acct)),
      record(renderEvent(acct)),
      { key: acct, value: JSON.stringify(poison), headers: { trace: 'store' } },
      record(renderEvent(acct)),
      { key: acct, value: JSON.stringify(nul), headers: { trace: 'nul' } },
      { key: acct, value: JSON.stringify(surrogate), headers: { trace: 'surrogate' } },
      { key: acct, value: deepText, headers: { trace: 'deep' } },
      record(renderEvent(acct)),
    ];
    try {
      await producer.send({ topic: s.topics.renders, acks: -1, messages: sequence.map((m) => ({ ...m, partition: 0 })) });
      await s.drained();
    } finally {
      spy.mockRestore();
    }
    expect(before - (await available(s.app, acct))).toBe(credits('2')); // the 4 good ones, 0.5 each
    expect(await charges(s.app, acct)).toHaveLength(4);
    const dead = await readTopic(kafka, s.topics.deadLetter, 4);
    const reasons = new Map(
      dead.map((d) => [headerText(d.message.headers, 'trace'), JSON.parse(headerText(d.message.headers, H.reason)!)]),
    );
    expect(reasons.get('store')).toEqual([expect.objectContaining({ field: '$', code: 'unrecordable' })]);
    expect(reasons.get('nul')!.map((r: any) => r.field)).toEqual(['data.jobId']);
    expect(reasons.get('surrogate')!.map((r: any) => r.field)).toEqual(['id']);
    expect(reasons.get('deep')!.map((r: any) => r.field)).toEqual(['$']);
    expect(metric(await s.metrics(), 'ledger_kafka_batch_retries_total')).toBe(0);
  });

  it('a store outage is not bad input: the batch is retried after a backoff, nothing is dead-lettered or skipped', async () => {
    const s = await start('outage');
    const acct = `acct_o_${uid()}`;
    await openAccounts(s.app, [acct]);
    const before = await available(s.app, acct);
    const ledger = s.app.get(AccountLedger);
    const real = ledger.submit.bind(ledger);
    let failures = 0;
    const spy = jest.spyOn(ledger, 'submit').mockImplementation(async (items) => {
      if (failures < 3) {
        failures++;
        // What pg throws when the server is not there: an unavailable store, retried whole.
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432 (simulated outage)'), { code: 'ECONNREFUSED' });
      }
      return real(items);
    });
    try {
      await produce(
        producer,
        s.topics.renders,
        Array.from({ length: 20 }, () => record(renderEvent(acct))).map((m) => ({ ...m, partition: 0 })),
      );
      await s.drained();
    } finally {
      spy.mockRestore();
    }
    expect(failures).toBe(3);
    expect(before - (await available(s.app, acct))).toBe(credits('10'));
    expect(await charges(s.app, acct)).toHaveLength(20);
    expect(Number((await admin.fetchTopicOffsets(s.topics.deadLetter))[0].high)).toBe(0);
    const text = await s.metrics();
    expect(metric(text, 'ledger_kafka_batch_retries_total')).toBe(3);
    expect(metric(text, 'ledger_kafka_events_accepted_total')).toBe(20);
    expect(metric(text, 'ledger_kafka_events_dead_lettered_total')).toBe(0);
  });
});
