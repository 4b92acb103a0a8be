// Starts the ledger service (embedded PGlite store unless DATABASE_URL / LEDGER_STORE say otherwise)
// on LEDGER_HOST:PORT (127.0.0.1:3000 unless told).
import { Logger } from '@nestjs/common';
import { readConfig } from '@ledger/service/config';
import { createLedgerApp } from './create-app';

async function main(): Promise<void> {
  const config = readConfig();
  const app = await createLedgerApp(config);
  await app.listen(config.port, config.host);
  new Logger('ledger').log(`listening on http://${config.host}:${config.port} (store: ${config.store.kind}, OpenAPI at /docs)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
