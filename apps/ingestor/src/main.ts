// The standalone Kafka ingestor: the ledger (store, accounts, usage ingest) and the consumer
// group on the usage topics, without the HTTP API. `npm run ingestor`; needs KAFKA_BROKERS,
// uses the same store settings as the service (DATABASE_URL / LEDGER_STORE / LEDGER_DATA_DIR,
// LEDGER_SCHEMA). With KAFKA_METRICS_PORT it serves GET /metrics (Prometheus text; a `metrics` or
// `admin` key, as on the service) and GET /healthz (open, as the service's /health) on LEDGER_HOST
// (127.0.0.1 unless told; 0.0.0.0 in a container, for probes).
// SIGTERM / SIGINT: the batch in progress finishes and commits, the member leaves the group,
// the store closes, exit 0. A consumer crash kafkajs gives up on: a new consumer after a backoff
// (/healthz says down meanwhile).
import { Server, createServer } from 'http';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LedgerModule } from '@ledger/service/ledger.module';
import { readConfig } from '@ledger/service/config';
import { KafkaIngestService } from '@ledger/service/kafka/kafka-ingest.service';
import { MetricsRegistry, PROMETHEUS_TEXT } from '@ledger/service/kit/metrics-registry';
import { useLedgerLogger } from '@ledger/service/observability/logging.module';
import { KeyBook } from '@ledger/service/access/key-book';
import { bearerOf } from '@ledger/service/access/secrets';

const log = new Logger('ingestor');

/** Listens before the ledger starts (a taken port fails the start, before the group is joined); `kafka()` is there once it has. */
function serveMetrics(
  kafka: () => { metrics: KafkaIngestService['metrics']; registry: MetricsRegistry } | undefined,
  keys: () => MetricsKeys | undefined,
  port: number,
  host: string,
): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const ingest = kafka();
    if (!ingest && req.method === 'GET' && (path === '/metrics' || path === '/healthz')) {
      res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'starting' }));
    } else if (!ingest) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: GET /metrics or /healthz\n');
    } else if (req.method === 'GET' && path === '/metrics') {
      if (!(await mayReadMetrics(keys(), req.headers.authorization))) {
        res
          .writeHead(401, { 'Content-Type': 'application/json' })
          .end(
            JSON.stringify({ error: 'unauthenticated', message: 'send a metrics or admin key: Authorization: Bearer <key>', details: [] }),
          );
        return;
      }
      // The application's whole registry: the consumer's counters and lag, the usage path's histograms, the process.
      ingest.registry.render().then(
        (text) => res.writeHead(200, { 'Content-Type': PROMETHEUS_TEXT }).end(text),
        (err) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err)),
      );
    } else if (req.method === 'GET' && path === '/healthz') {
      const up = ingest.metrics.up === 1;
      res.writeHead(up ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: up ? 'up' : 'down' }));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: GET /metrics or /healthz\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `configuration: KAFKA_METRICS_PORT ${port} cannot be served on ${host} (${err.code ?? err.message}); nothing was consumed`,
        ),
      ),
    );
    server.listen(port, host, () => resolve(server));
  });
}

interface MetricsKeys {
  enabled: boolean;
  book: KeyBook;
}

async function mayReadMetrics(keys: MetricsKeys | undefined, header: string | undefined): Promise<boolean> {
  if (!keys) return false;
  if (!keys.enabled) return true;
  const token = bearerOf(header);
  const caller = token === undefined ? undefined : await keys.book.authenticate(token);
  return caller?.role === 'metrics' || caller?.role === 'admin';
}

async function main(): Promise<void> {
  const config = readConfig();
  if (!config.kafka)
    throw new Error(
      process.env.KAFKA_BROKERS?.trim() && process.env.KAFKA_INGEST === 'off'
        ? 'configuration: KAFKA_INGEST=off leaves the ingestor nothing to do (unset it)'
        : 'configuration: KAFKA_BROKERS is required by the ingestor (e.g. 127.0.0.1:19092)',
    );
  const kafkaConfig = config.kafka;

  // The metrics port first: if it is taken, stop before joining the group (not after consuming).
  const started: { kafka?: { metrics: KafkaIngestService['metrics']; registry: MetricsRegistry }; keys?: MetricsKeys } = {};
  const server =
    kafkaConfig.metricsPort !== undefined
      ? await serveMetrics(
          () => started.kafka,
          () => started.keys,
          kafkaConfig.metricsPort,
          config.host,
        )
      : undefined;
  // init() runs here: the store opens, then the consumer joins the group and starts.
  const app = await NestFactory.createApplicationContext(LedgerModule.forRoot(config), { bufferLogs: true });
  useLedgerLogger(app);
  const ingest = app.get(KafkaIngestService);
  started.keys = { enabled: config.access.enabled, book: app.get(KeyBook) };
  started.kafka = { metrics: ingest.metrics, registry: app.get(MetricsRegistry) };

  let closing: Promise<void> | undefined;
  const shutdown = (why: string, code: number) => {
    closing ??= (async () => {
      log.log(`${why}: finishing the batch in progress, committing, leaving the group`);
      try {
        server?.close();
        await app.close();
        log.log('stopped');
      } catch (err) {
        log.error(`shutdown failed: ${(err as Error).message}`);
        code = code || 1;
      }
      process.exit(code);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  // A consumer that crashes for good is replaced by the service after a backoff (kafka-ingest.service.ts): no exit.
  ingest.onCrash((err) => log.warn(`the consumer crashed (${err.message}); a new one follows`));

  const address = server?.address();
  log.log(
    `running (store: ${config.store.kind}, schema ${config.schema}, group ${kafkaConfig.groupId})` +
      (address && typeof address === 'object' ? `; metrics on http://${config.host}:${address.port}/metrics` : ''),
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
