// One GET /metrics for the whole service: with the Kafka ingest on, its counters come in the
// same answer as the projection's gauges (needs a broker: KAFKA_BROKERS, as deploy/test-all.sh sets).
import { readConfig } from '@ledger/service/config';
import { createLedgerApp } from '../../apps/ledger/src/create-app';
import { ADMIN_ENV, asKey } from '../support/access';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) process.stderr.write('one /metrics with the Kafka ingest: skipped, KAFKA_BROKERS not set\n');

(brokers ? describe : describe.skip)(`one /metrics with the Kafka ingest${brokers ? '' : ': skipped, KAFKA_BROKERS not set'}`, () => {
  it('serves the projection gauges and the Kafka ingest counters together', async () => {
    const group = `rm-metrics-${process.pid}-${Date.now()}`;
    const config = readConfig({
      ...ADMIN_ENV,
      ...ADMIN_ENV,
      LEDGER_SIMULATION: 'true',
      LEDGER_SIMULATION_START: '2026-01-01T00:00:00Z',
      KAFKA_BROKERS: brokers!,
      KAFKA_GROUP_ID: group,
      KAFKA_METRICS_LOG_MS: '0',
    });
    const app = await createLedgerApp(config, { logger: ['error'] });
    await app.init();
    try {
      const res = await asKey(app.getHttpServer()).get('/metrics').expect(200);
      expect(res.text).toContain('# TYPE ledger_projection_lag_events gauge');
      expect(res.text).toContain('# TYPE ledger_kafka_messages_consumed_total counter');
      expect(res.text).toContain(`group="${group}"`);
    } finally {
      await app.close();
    }
  }, 60_000);
});
