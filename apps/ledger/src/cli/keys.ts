// API keys from the command line, against the configured store (the first admin key, or one more
// when no admin key is at hand). The secret is printed once, to stdout, and kept nowhere.
// Usage:
//   npm run keys -- create --role admin --name ops [--account acct_1] [--expires 2027-01-01T00:00:00Z]
//   npm run keys -- list
//   npm run keys -- revoke key_...
// With the embedded store in a directory (LEDGER_DATA_DIR), stop the service first: PGlite is one process's.
import { parseArgs } from 'util';
import { isRole, toInstant } from '@ledger/domain';
import { openLedgerStorage } from '@ledger/event-store';
import { readConfig } from '@ledger/service/config';
import { KeyBook } from '@ledger/service/access/key-book';

const USAGE = 'usage: keys create --role <role> --name <name> [--account <accountId>] [--expires <ISO>] | keys list | keys revoke <keyId>';

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: 'string' }, name: { type: 'string' }, account: { type: 'string' }, expires: { type: 'string' } },
  });
  const [command, id] = positionals;
  if (!['create', 'list', 'revoke'].includes(command ?? '')) throw new Error(USAGE);
  const config = readConfig();
  const storage = await openLedgerStorage(config.store, config.schema);
  try {
    const keys = new KeyBook(storage.store, { refreshMs: 0 });
    if (command === 'create') {
      if (!isRole(values.role)) throw new Error(`--role must be one of admin, producer, finance, auditor, account, metrics\n${USAGE}`);
      if (!values.name) throw new Error(`--name is required\n${USAGE}`);
      const issued = await keys.issue(
        {
          role: values.role,
          name: values.name,
          ...(values.account ? { accountId: values.account } : {}),
          ...(values.expires ? { expiresAt: toInstant(values.expires) } : {}),
        },
        'cli',
      );
      if (!issued.ok) throw new Error(`${issued.failure.error}: ${issued.failure.message}`);
      const k = issued.value.key;
      console.error(`issued ${k.id} (${k.role}${k.accountId ? ` of ${k.accountId}` : ''}, "${k.name}"): the key below is shown this once`);
      console.log(issued.value.secret);
    } else if (command === 'list') {
      for (const k of await keys.list())
        console.log([k.id, k.prefix, k.role, k.accountId ?? '-', k.revokedAt ? `revoked ${k.revokedAt}` : 'active', k.name].join('\t'));
    } else {
      if (!id) throw new Error(USAGE);
      const revoked = await keys.revoke(id, 'cli');
      if (!revoked.ok) throw new Error(`${revoked.failure.error}: ${revoked.failure.message}`);
      console.log(`${id} revoked at ${revoked.value.revokedAt}`);
    }
    return 0;
  } finally {
    await storage.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
