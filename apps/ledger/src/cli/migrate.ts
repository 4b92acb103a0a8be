// Moves a ledger's log to another store (README "Migrating a store"):
//   npm run migrate -- --from pglite:.data --to 'postgres:postgres://user@host:5432/db#ledger' [--batch 1000] [--resume]
// Stores: pglite:<data dir>[#schema] and postgres:<url>[#schema] (the schema defaults to ledger) as the
// source; those or kurrentdb:<url> as the target, which must be empty or hold this migration
// (--resume). Stop the ledger on the source first. It copies the events with their streams,
// versions, data, metadata, recorded times and hashes, then the dedupe keys, each batch with its
// progress in the target; then checks the target's digest against the source's. The read models
// are not copied: the service rebuilds them on the target (or `npm run replay -- --switch` there).
import { parseArgs } from 'util';
import {
  ChainMismatch,
  describeStore,
  MigrationMoved,
  MigrationRefused,
  openMigrationSource,
  openMigrationTarget,
  parseStoreDescription,
  runMigration,
  STORE_FORMS,
} from '@ledger/event-store';

const USAGE = `usage: npm run migrate -- --from <store> --to <store> [--resume] [--batch N]\n  stores: ${STORE_FORMS}`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { from: { type: 'string' }, to: { type: 'string' }, resume: { type: 'boolean' }, batch: { type: 'string' } },
  });
  if (!values.from || !values.to) throw new Error(USAGE);
  if (values.batch !== undefined && !/^[1-9]\d*$/.test(values.batch)) throw new Error(`--batch needs a whole number\n${USAGE}`);
  const from = parseStoreDescription(values.from);
  const to = parseStoreDescription(values.to);
  if (describeStore(from) === describeStore(to)) throw new Error('--from and --to name the same store');
  const source = await openMigrationSource(from);
  try {
    if (source.backfilled) console.error(`hashed ${source.backfilled.events} events of the source written before the chain`);
    const target = await openMigrationTarget(to);
    try {
      await runMigration({
        source,
        sourceDescription: describeStore(from),
        target,
        resume: values.resume,
        batchSize: values.batch === undefined ? undefined : Number(values.batch),
        print: (line) => console.log(line),
      });
      console.log(
        'next: start the ledger on the target (it rebuilds its read models), then compare: npm run replay -- --verify, npm run audit -- --digest',
      );
      return 0;
    } finally {
      await target.close();
    }
  } catch (err) {
    if (err instanceof MigrationRefused || err instanceof MigrationMoved || err instanceof ChainMismatch) {
      console.error(`migration stopped: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await source.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
