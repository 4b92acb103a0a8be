// The log's tamper evidence from the command line (README "Tamper evidence"), against the configured
// store (the service's settings) or the one `--store` names.
//   npm run audit -- --verify-chain [--expect <position>=<digest> ...]   walk the log, recompute every
//       hash and the running digest; exit 1 naming the first event that does not match
//   npm run audit -- --digest [<position>]                               the digest to publish (default: at the head)
// `--store pglite:<dir>[#schema] | postgres:<url>[#schema] | kurrentdb:<url>` instead of the settings.
// With the embedded store in a directory (LEDGER_DATA_DIR), stop the service first: PGlite is one process's.
import { parseArgs } from 'util';
import {
  chainChecksOf,
  CHAIN_ALGORITHM,
  EventStore,
  KurrentDbEventStore,
  openLedgerStorage,
  openSqlStore,
  parseStoreDescription,
  PublishedDigest,
  SqlEventStore,
  verifyChain,
} from '@ledger/event-store';
import { ConfigError, readConfig } from '@ledger/service/config';

const USAGE =
  'usage: npm run audit -- --verify-chain [--expect <position>=<digest> ...] | --digest [<position>]  [--store <pglite:dir | postgres:url#schema | kurrentdb:url>]';

async function openStore(description: string | undefined): Promise<{ store: EventStore; close(): Promise<void> }> {
  if (description) {
    const d = parseStoreDescription(description);
    const store = d.kind === 'kurrentdb' ? KurrentDbEventStore.connect(d.url) : await openSqlStore(d);
    return { store, close: () => store.close() };
  }
  const config = readConfig();
  if (config.store.kind === 'pglite' && !config.store.dataDir) {
    throw new ConfigError('LEDGER_DATA_DIR', 'or DATABASE_URL (or --store) is needed: an in-memory PGlite has no log to audit');
  }
  const storage = await openLedgerStorage(config.store, config.schema);
  return { store: storage.store, close: () => storage.close() };
}

function position(text: string, what: string): bigint {
  if (!/^\d+$/.test(text)) throw new Error(`${what} must be a global position (a whole number), got "${text}"\n${USAGE}`);
  return BigInt(text);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'verify-chain': { type: 'boolean' },
      digest: { type: 'boolean' },
      expect: { type: 'string', multiple: true },
      store: { type: 'string' },
    },
  });
  if (values['verify-chain'] === values.digest) throw new Error(USAGE);
  const published: PublishedDigest[] = (values.expect ?? []).map((x) => {
    const [p, digest] = x.split('=');
    if (!digest || !/^[0-9a-f]{64}$/.test(digest)) throw new Error(`--expect takes <position>=<64 hex digits>, got "${x}"\n${USAGE}`);
    return { position: position(p, '--expect'), digest };
  });
  const { store, close } = await openStore(values.store);
  try {
    if (store instanceof SqlEventStore && store.backfilled) {
      const b = store.backfilled;
      console.error(`hashed ${b.events} events written before the chain (positions ${b.from} to ${b.to}) on opening the store`);
    }
    if (values.digest) {
      const at = positionals[0] === undefined ? undefined : position(positionals[0], 'the position');
      const digest = await store.logDigest(at);
      if (!digest) {
        console.error(`no digest at ${at ?? 'the head'}: an event there has no hash; run npm run audit -- --verify-chain`);
        return 1;
      }
      console.log(`${digest.position}\t${digest.digest}\t${CHAIN_ALGORITHM}`);
      return 0;
    }
    let shown = Date.now();
    const report = await verifyChain(store, {
      ...chainChecksOf(store),
      published,
      onProgress: (p, n) => {
        if (Date.now() - shown < 2000) return;
        shown = Date.now();
        console.error(`  ${n} events checked (position ${p})`);
      },
    });
    if (!report.ok) {
      console.log(`CHAIN BROKEN: ${report.fault!.message}`);
      console.log(`(${report.events} events before it match; the digest through position ${report.position} is ${report.digest})`);
      return 1;
    }
    console.log(
      `chain intact: ${report.events} events, every hash and the running digest recomputed from the bytes stored` +
        `${published.length > 0 ? `, ${published.length} published digest(s) found again` : ''}`,
    );
    console.log(`${report.position}\t${report.digest}\t${CHAIN_ALGORITHM}`);
    return 0;
  } finally {
    await close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
