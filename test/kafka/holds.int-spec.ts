// Holds captured and released over Kafka as over HTTP: render.completed (jobId) and
// streaming.session.ended (sessionId) capture their account's open hold, render.failed releases.
// Needs a broker (KAFKA_BROKERS); with DATABASE_URL on PostgreSQL, else on PGlite.
import { INestApplication } from '@nestjs/common';
import { Admin, Producer } from 'kafkajs';
import {
  caughtUp,
  configOf,
  connectBroker,
  createTopics,
  deleteTopics,
  describeKafka,
  kafkaEnv,
  lagReport,
  openAccounts,
  produce,
  record,
  renderEvent,
  renderFailedEvent,
  startService,
  Stores,
  streamingEvent,
  Topics,
  uid,
  waitFor,
} from './support';
import { asKey } from '../support/access';

describeKafka('holds over Kafka', () => {
  const stores = new Stores('holds');
  let admin: Admin;
  let producer: Producer;
  let app: INestApplication | undefined;
  let topics: Topics | undefined;

  beforeAll(async () => {
    ({ admin, producer } = await connectBroker());
  });
  afterAll(async () => {
    await app?.close();
    await producer?.disconnect();
    if (topics) await deleteTopics(admin, topics);
    await admin?.disconnect();
    await stores.cleanup();
  });

  it('captures by jobId and sessionId at the real price, and releases by render.failed', async () => {
    topics = await createTopics(admin, 'holds', 2);
    const groupId = `ledger-test-holds-${uid()}`;
    app = await startService(configOf({ ...stores.fresh(), ...kafkaEnv(topics, groupId) }));
    const http = asKey(app.getHttpServer());
    await openAccounts(app, ['acct_kh'], 'api_pro');
    const place = async (holdKey: string, body: Record<string, unknown>) => {
      const res = await http.post('/v1/holds').send({ accountId: 'acct_kh', holdKey, estimatedDurationMs: 59_000, ...body });
      expect(res.status).toBe(201);
      return res.body;
    };
    await place('job_k1', { product: 'avatar_video', engine: 'unlimited' }); // 1 credit
    await place('job_k2', { product: 'avatar_video', engine: 'unlimited' });
    await place('sess_k3', { integration: 'api', estimatedDurationMs: 600_000 }); // 2 credits
    expect((await http.get('/v1/accounts/acct_kh/balances')).body.wallets.api).toMatchObject({ held: '4', available: '96' });

    const completed = renderEvent('acct_kh', { durationMs: 100_000 }); // 4 started blocks: 2 credits, more than held
    completed.data.jobId = 'job_k1';
    const failed = renderFailedEvent('acct_kh');
    failed.data.jobId = 'job_k2';
    const session = streamingEvent('acct_kh', 300);
    session.data.sessionId = 'sess_k3';
    await produce(producer, topics.renders, [record(completed), record(failed)]);
    await produce(producer, topics.streaming, [record(session)]);
    const usage = [topics.renders, topics.streaming];
    await waitFor(
      'the group to commit everything',
      () => caughtUp(admin, groupId, usage),
      30_000,
      () => lagReport(admin, groupId, usage),
    );

    const holds = (await http.get('/v1/accounts/acct_kh/holds')).body.items.map((h: { holdKey: string; status: string }) => [
      h.holdKey,
      h.status,
    ]);
    expect(holds).toEqual([
      ['job_k1', 'captured'],
      ['job_k2', 'released'],
      ['sess_k3', 'captured'],
    ]);
    // 100 - 2 (the render) - 1 (five minutes of API streaming); nothing held any more.
    expect((await http.get('/v1/accounts/acct_kh/balances')).body.wallets.api).toMatchObject({ held: '0', available: '97' });
  });
});
