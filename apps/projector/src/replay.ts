// `npm run replay -- [--verify] [--switch] [--keep] [--batch N] [--max-differences N]`: the audit
// replay. Rebuilds every finance read model from the log into a fresh schema (<schema>_rm_replay),
// with --verify compares it with the live one table by table (a digest per table, the first
// differing rows) at the position the live ones stand: exit 1 when they differ, 3 when they are the
// same but behind the head (a projector off or catching up), 0 when identical at the head; with
// --switch makes the rebuilt schema the live
// one (renamed in one transaction). Same settings as the service (DATABASE_URL, LEDGER_SCHEMA,
// LEDGER_DATA_DIR). On PGlite, run it while the service is stopped (one process per data directory).
import { openLedgerStorage } from '@ledger/event-store';
import { ConfigError, readConfig } from '@ledger/service/config';
import { logReaderOf } from '@ledger/service/projections/log-reader';
import { runReplay } from '@ledger/service/projections/replay';

const USAGE = 'usage: npm run replay -- [--verify] [--switch] [--keep] [--batch N] [--max-differences N]';

function parseArgs(argv: string[]) {
  const o = { verify: false, switch: false, keep: false, batchSize: undefined as number | undefined, maxDifferences: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const number = () => {
      const v = argv[++i];
      if (!v || !/^\d+$/.test(v) || Number(v) < 1) throw new Error(`${a} needs a whole number\n${USAGE}`);
      return Number(v);
    };
    if (a === '--verify') o.verify = true;
    else if (a === '--switch') o.switch = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--batch') o.batchSize = number();
    else if (a === '--max-differences') o.maxDifferences = number();
    else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return o;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const config = readConfig();
  if (config.store.kind === 'pglite' && !config.store.dataDir) {
    throw new ConfigError('LEDGER_DATA_DIR', 'or DATABASE_URL is needed: an in-memory PGlite has no log to replay');
  }
  const storage = await openLedgerStorage(config.store, config.schema);
  try {
    const outcome = await runReplay({
      db: storage.database,
      reader: logReaderOf(storage, { fromMemory: false }),
      ledgerSchema: config.schema,
      ...args,
      print: (line) => console.log(line),
    });
    return outcome.exitCode;
  } finally {
    await storage.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
