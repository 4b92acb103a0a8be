// GET /metrics keeps every name, type and label set it had before it moved to prom-client, in each
// app that serves it: the service (with the Kafka ingest in it), the projector and the standalone
// ingestor; and it has the usage path's histograms and the process's own metrics besides. Needs a
// broker (KAFKA_BROKERS, as deploy/test-all.sh sets), for the ingest's families.
import { ChildProcess, spawn } from 'child_process';
import { NestFactory } from '@nestjs/core';
import { readConfig } from '@ledger/service/config';
import { createLedgerApp } from '../../apps/ledger/src/create-app';
import { ProjectorModule } from '../../apps/projector/src/projector.module';
import { ADMIN_ENV, asKey, bearer } from '../support/access';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) process.stderr.write('metric names: skipped, KAFKA_BROKERS not set\n');

const PROJECTION = {
  ledger_projection_batch_failures_total: 'counter [reason]',
  ledger_projection_batches_total: 'counter []',
  ledger_projection_checkpoint_position: 'gauge []',
  ledger_projection_events_applied_total: 'counter []',
  ledger_projection_head_position: 'gauge []',
  ledger_projection_lag_events: 'gauge []',
  ledger_projection_leader: 'gauge []',
};
const KAFKA = {
  ledger_kafka_batch_retries_total: 'counter [group]',
  ledger_kafka_batches_total: 'counter [group,topic]',
  ledger_kafka_consumer_lag: 'gauge [group,partition,topic]',
  ledger_kafka_consumer_restarts_total: 'counter [group]',
  ledger_kafka_consumer_up: 'gauge [group]',
  ledger_kafka_events_accepted_total: 'counter [group,topic]',
  ledger_kafka_events_dead_lettered_total: 'counter [group,topic]',
  ledger_kafka_events_duplicate_total: 'counter [group,topic]',
  ledger_kafka_messages_consumed_total: 'counter [group,topic]',
};
const HOLDS = { ledger_holds_held_microcredits: 'gauge [wallet]', ledger_holds_open: 'gauge [wallet]' };
/** What each app's GET /metrics gave before prom-client (the failures' `reason` was on its samples, shown once one failed). */
const BEFORE = { service: { ...PROJECTION, ...KAFKA, ...HOLDS }, projector: PROJECTION, ingestor: KAFKA };
const ADDED = {
  ledger_ingest_batch_duration_seconds: 'histogram [le,source]',
  ledger_store_append_duration_seconds: 'histogram [le]',
  ledger_event_to_balance_lag_seconds: 'histogram [le]',
  process_cpu_seconds_total: 'counter []',
  process_resident_memory_bytes: 'gauge []',
  nodejs_eventloop_lag_seconds: 'gauge []',
  nodejs_gc_duration_seconds: 'histogram [kind,le]',
};

/** Each family of Prometheus text: `type [label names of its samples]`. */
function families(text: string): Record<string, string> {
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      labels.set(type[1], new Set());
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!sample) continue;
    const family = labels.get(sample[1]) ?? labels.get(sample[1].replace(/_(bucket|sum|count)$/, ''));
    for (const pair of (sample[2] ?? '').split(/,(?=[a-zA-Z_]+=")/).filter(Boolean)) family?.add(pair.split('=')[0]);
  }
  return Object.fromEntries([...types].map(([name, type]) => [name, `${type} [${[...labels.get(name)!].sort().join(',')}]`]));
}

const ENV = {
  ...ADMIN_ENV,
  LEDGER_SIMULATION: 'true',
  LEDGER_SIMULATION_START: '2026-01-01T00:00:00Z',
  LEDGER_STORE: 'pglite',
  KAFKA_METRICS_LOG_MS: '0',
};

(brokers ? describe : describe.skip)(`GET /metrics on prom-client${brokers ? '' : ': skipped, KAFKA_BROKERS not set'}`, () => {
  it('the service keeps its names, types and labels, with the histograms and the process metrics', async () => {
    const config = readConfig({ ...ENV, KAFKA_BROKERS: brokers!, KAFKA_GROUP_ID: `names-${process.pid}-${Date.now()}` });
    const app = await createLedgerApp(config, { logger: false });
    await app.init();
    try {
      // One event in: the ingest histogram has its `source` label.
      await asKey(app.getHttpServer()).post('/v1/accounts').send({ accountId: 'acct_names', name: 'Names' }).expect(201);
      const text = (
        await asKey(app.getHttpServer())
          .get('/metrics')
          .expect(200)
          .expect('content-type', /version=0\.0\.4/)
      ).text;
      expect(families(text)).toMatchObject({ ...BEFORE.service, ...ADDED, ledger_ingest_batch_duration_seconds: 'histogram []' });
      await asKey(app.getHttpServer())
        .post('/v1/events')
        .send([{ specversion: '1.0', id: 'e1', source: 'names', type: 'com.example.render.completed', subject: 'acct_names', data: {} }]);
      expect(families((await asKey(app.getHttpServer()).get('/metrics').expect(200)).text)).toMatchObject({ ...BEFORE.service, ...ADDED });
    } finally {
      await app.close();
    }
  }, 60_000);

  it('the projector keeps its names, types and labels', async () => {
    const app = await NestFactory.create(ProjectorModule.forRoot(readConfig(ENV)), { logger: false });
    await app.init();
    try {
      const text = (await asKey(app.getHttpServer()).get('/metrics').expect(200)).text;
      expect(families(text)).toMatchObject({ ...BEFORE.projector, process_cpu_seconds_total: 'counter []' });
    } finally {
      await app.close();
    }
  });

  it('the standalone ingestor keeps its names, types and labels (on KAFKA_METRICS_PORT)', async () => {
    const port = 39_000 + (process.pid % 900);
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['-r', './deploy/register.js', 'apps/ingestor/src/main.ts'], {
        env: {
          ...process.env,
          ...ENV,
          DATABASE_URL: '',
          KAFKA_BROKERS: brokers!,
          KAFKA_GROUP_ID: `names-ingestor-${process.pid}-${Date.now()}`,
          KAFKA_METRICS_PORT: String(port),
          LEDGER_LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      });
      let text = '';
      for (let i = 0; i < 120 && !text.includes('ledger_kafka_consumer_lag{'); i++) {
        await new Promise((r) => setTimeout(r, 500));
        const answer = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: bearer(ADMIN_ENV.LEDGER_ADMIN_KEY) }).catch(
          () => undefined,
        );
        if (answer?.status === 200) text = await answer.text();
      }
      expect(families(text)).toMatchObject({ ...BEFORE.ingestor, ledger_store_append_duration_seconds: 'histogram [le]' });
    } finally {
      child?.kill('SIGTERM');
    }
  }, 90_000);
});
