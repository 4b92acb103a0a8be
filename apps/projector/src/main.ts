// `npm run projector`: the finance projector as its own process (start the service with
// LEDGER_PROJECTOR=off). Same settings as the service (DATABASE_URL, LEDGER_SCHEMA, ...);
// PROJECTOR_PORT serves GET /metrics and GET /health on LEDGER_HOST (127.0.0.1 unless told). Several may run: one holds
// the lease and applies, the others wait to take over.
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, readConfig } from '@ledger/service/config';
import { FinanceProjections } from '@ledger/service/projections/finance-projections.service';
import { useLedgerLogger } from '@ledger/service/observability/logging.module';
import { ProjectorModule } from './projector.module';

async function main(): Promise<void> {
  const config = readConfig();
  if (config.store.kind === 'pglite' && !config.store.dataDir) {
    throw new ConfigError(
      'DATABASE_URL',
      "is needed: a projector process shares the service's database (an in-memory PGlite lives and dies with one process)",
    );
  }
  const port = process.env.PROJECTOR_PORT;
  if (port !== undefined && !/^\d+$/.test(port)) throw new ConfigError('PROJECTOR_PORT', `must be a port number, got "${port}"`);
  const log = new Logger('projector');
  const app = await NestFactory.create(ProjectorModule.forRoot(config), { bufferLogs: true });
  useLedgerLogger(app);
  app.enableShutdownHooks();
  if (port !== undefined) {
    await app.listen(Number(port), config.host);
    log.log(`GET /metrics and /health on http://${config.host}:${port}`);
  } else await app.init();
  const projections = app.get(FinanceProjections);
  let last = '';
  setInterval(() => {
    void projections.status().then(
      (s) => {
        const line = `checkpoint ${s.checkpoint}, head ${s.head}, lag ${s.lag}${projections.projector.isLeader ? '' : ' (standby: another projector holds the lease)'}`;
        if (line !== last) log.log(line);
        last = line;
      },
      () => undefined,
    );
  }, 5000).unref();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
