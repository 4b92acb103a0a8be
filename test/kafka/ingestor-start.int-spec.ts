// `npm run ingestor` with its metrics port taken stops before it joins the consumer group (issue 11):
// it used to join, consume, then exit. The topics are names nobody created, so an ingestor that got
// as far as Kafka would fail with "topics missing" instead, and nothing could be consumed anyway.
import { spawnSync } from 'child_process';
import { createServer, Server } from 'net';
import { randomUUID } from 'crypto';
import { join } from 'path';
import { BROKERS, describeKafka } from './support';

describeKafka('the standalone ingestor', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('whose KAFKA_METRICS_PORT is taken exits 1 naming the setting, before the store or Kafka', () => {
    const tag = randomUUID().slice(0, 8);
    const root = join(__dirname, '..', '..');
    const run = spawnSync(process.execPath, ['-r', './deploy/register.js', 'apps/ingestor/src/main.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        KAFKA_BROKERS: BROKERS!,
        KAFKA_METRICS_PORT: String(port),
        LEDGER_STORE: 'pglite',
        KAFKA_GROUP_ID: `test.ingestor-start.${tag}`,
        KAFKA_TOPIC_RENDERS: `test.none.${tag}.r`,
        KAFKA_TOPIC_STREAMING: `test.none.${tag}.s`,
        KAFKA_TOPIC_DEAD_LETTER: `test.none.${tag}.dl`,
      },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`KAFKA_METRICS_PORT ${port} cannot be served.*EADDRINUSE`));
    expect(run.stdout + run.stderr).not.toMatch(/topics missing|joined group/);
  });
});
