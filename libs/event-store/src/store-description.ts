// Stores named on the command line (npm run migrate, npm run audit -- --store): `pglite:<dir>[#schema]`,
// `postgres:<url>[#schema]`, `kurrentdb:<url>`.
import { PgClient } from './sql/pg-client';
import { PgliteClient } from './sql/pglite-client';
import { checkSchemaName } from './sql/schema';
import { SqlEventStore, SqlEventStoreOptions } from './sql/sql-event-store';

/** A store named on the command line: `pglite:<dir>[#schema]`, `postgres:<url>[#schema]`, `kurrentdb:<url>`. */
export type StoreDescription =
  | { kind: 'pglite'; dataDir: string; schema: string }
  | { kind: 'postgres'; url: string; schema: string }
  | { kind: 'kurrentdb'; url: string };

export const STORE_FORMS = 'pglite:<data dir>[#schema], postgres:<postgres://... url>[#schema] or kurrentdb:<kurrentdb://... url>';

/** Parses a store description (the schema defaults to `ledger`). */
export function parseStoreDescription(text: string): StoreDescription {
  const withSchema = (rest: string): [string, string] => {
    const hash = rest.lastIndexOf('#');
    return hash < 0 ? [rest, 'ledger'] : [rest.slice(0, hash), checkSchemaName(rest.slice(hash + 1))];
  };
  if (text.startsWith('pglite:')) {
    const [dataDir, schema] = withSchema(text.slice('pglite:'.length));
    if (!dataDir) throw new Error(`${text}: pglite: needs a data directory (${STORE_FORMS})`);
    return { kind: 'pglite', dataDir, schema };
  }
  const pg = text.startsWith('postgres:postgres') ? text.slice('postgres:'.length) : text;
  if (/^postgres(ql)?:\/\//.test(pg)) {
    const [url, schema] = withSchema(pg);
    return { kind: 'postgres', url, schema };
  }
  const kurrent = text.startsWith('kurrentdb:kurrentdb') || text.startsWith('kurrentdb:esdb') ? text.slice('kurrentdb:'.length) : text;
  if (/^(kurrentdb|esdb)(\+discover)?:\/\//.test(kurrent)) return { kind: 'kurrentdb', url: kurrent };
  throw new Error(`cannot tell which store "${describeText(text)}" is: use ${STORE_FORMS}`);
}

/** The description for messages: a password in a URL shown as ***. */
export function describeStore(d: StoreDescription): string {
  if (d.kind === 'pglite') return `pglite:${d.dataDir}#${d.schema}`;
  return d.kind === 'postgres' ? `postgres:${describeText(d.url)}#${d.schema}` : `kurrentdb:${describeText(d.url)}`;
}

const describeText = (text: string): string => text.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');

/** Opens the SQL store `d` names (its hashes backfilled first, as any opening does). */
export async function openSqlStore(
  d: StoreDescription,
  options: Omit<SqlEventStoreOptions, 'schema' | 'ownsClient'> = {},
): Promise<SqlEventStore> {
  if (d.kind === 'kurrentdb') throw new Error(`${describeStore(d)} is not a SQL store (pglite: or postgres:)`);
  const client = d.kind === 'pglite' ? await PgliteClient.open(d.dataDir) : PgClient.connect(d.url);
  try {
    return await SqlEventStore.open(client, { ...options, schema: d.schema, ownsClient: true });
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
