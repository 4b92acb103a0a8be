// openLedgerStorage: the log and the read-model database of each LEDGER_STORE kind, opened together.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '@kurrent/kurrentdb-client';
import { LedgerStorage, openLedgerStorage, PgClient, StorageConfig } from '@ledger/event-store';
import { describeSkipped } from './conformance';

const databaseUrl = process.env.DATABASE_URL;
const kurrentUrl = process.env.KURRENTDB_URL;
const tag = `${process.pid}_${Date.now().toString(36)}`;
const schemas: string[] = [];
const freshSchema = () => {
  const schema = `st_${tag}_${schemas.length}`;
  schemas.push(schema);
  return schema;
};
const dropSchemas = async () => {
  if (!databaseUrl || schemas.length === 0) return;
  const client = PgClient.connect(databaseUrl);
  try {
    for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.close();
  }
};
afterAll(dropSchemas);

const charge = (streamId: string, key: string) => [
  {
    streamId,
    expectedVersion: 0,
    events: [{ type: 'UsageCharged', data: { credits: '5' }, metadata: { via: 'test' } }],
    dedupe: [{ key, fingerprint: 'f' }],
  },
];

/** The log is the events table of `database`, read by SQL as the projector's reader does. */
function describeSqlStorage(title: string, kind: 'pglite' | 'postgres', config: () => StorageConfig) {
  describe(title, () => {
    it('opens the store and the database the read models use, which holds the log', async () => {
      const schema = freshSchema();
      const storage: LedgerStorage = await openLedgerStorage(config(), schema);
      try {
        expect(storage.kind).toBe(kind);
        expect(storage.embedded).toBe(kind === 'pglite');
        expect(storage.sqlLog?.schema).toBe(schema);

        const [result] = await storage.store.append(charge('account-a', 'k1'));
        const rows = await storage.database.query<{ global_position: bigint; stream_id: string; type: string }>(
          `SELECT global_position, stream_id, type FROM ${schema}.events ORDER BY global_position`,
        );
        expect(rows).toEqual([{ global_position: result.lastPosition, stream_id: 'account-a', type: 'UsageCharged' }]);
        expect((await storage.database.query(`SELECT key FROM ${schema}.dedupe`)).map((r) => r.key)).toEqual(['k1']);

        // what this process appended, from memory, as the log holds it
        expect(storage.sqlLog!.recentAfter(0n, 10)).toEqual(await storage.store.readAll(0n, 10));
        expect(storage.sqlLog!.recentAfter(0n, 10).map((e) => e.streamId)).toEqual(['account-a']);
        expect((await storage.store.readStreams(['account-a'])).get('account-a')).toEqual(await storage.store.readStream('account-a'));

        // the database takes the read models' tables and transactions
        await storage.database.transaction(async (tx) => {
          await tx.query(`CREATE TABLE ${schema}.rm_probe (position bigint NOT NULL)`);
          await tx.query(`INSERT INTO ${schema}.rm_probe VALUES ($1::bigint)`, [String(result.lastPosition)]);
        });
        expect(await storage.database.query(`SELECT position FROM ${schema}.rm_probe`)).toEqual([{ position: result.lastPosition }]);
      } finally {
        await storage.close();
      }
      await storage.close(); // twice is fine
      await expect(storage.database.query('SELECT 1')).rejects.toThrow();
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await expect(openLedgerStorage(config(), 'x; DROP TABLE y')).rejects.toThrow('invalid schema name');
    });
  });
}

describeSqlStorage('openLedgerStorage, pglite in memory', 'pglite', () => ({ kind: 'pglite' }));

describe('openLedgerStorage, pglite with a data directory', () => {
  it('keeps the log and the read models across a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-storage-'));
    try {
      const config: StorageConfig = { kind: 'pglite', dataDir: join(dir, 'db') };
      const first = await openLedgerStorage(config);
      expect(first.sqlLog?.schema).toBe('ledger');
      await first.store.append(charge('s', 'k'));
      await first.database.query('CREATE TABLE ledger.rm_probe (n int)');
      await first.database.query('INSERT INTO ledger.rm_probe VALUES (7)');
      await first.close();

      const again = await openLedgerStorage(config);
      try {
        expect((await again.store.readStream('s')).map((e) => e.data)).toEqual([{ credits: '5' }]);
        expect((await again.store.findDedupe(['k'])).get('k')?.streamId).toBe('s');
        expect(await again.database.query('SELECT n FROM ledger.rm_probe')).toEqual([{ n: 7 }]);
        expect(again.sqlLog!.recentAfter(0n, 10)).toEqual([]); // appended by another process
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

if (databaseUrl) describeSqlStorage('openLedgerStorage, postgres', 'postgres', () => ({ kind: 'postgres', url: databaseUrl }));
else describeSkipped('openLedgerStorage, postgres', 'DATABASE_URL not set', () => it('opens', () => undefined));

describe('openLedgerStorage, kurrentdb (checks that need no KurrentDB server)', () => {
  const unreachable = 'kurrentdb://127.0.0.1:1?tls=false';

  it('refuses a schema name that is not a plain identifier before connecting to anything', async () => {
    await expect(
      openLedgerStorage({ kind: 'kurrentdb', url: unreachable, databaseUrl: 'postgres://nobody@127.0.0.1:1/none' }, 'x; DROP TABLE y'),
    ).rejects.toThrow('invalid schema name');
  });

  const server = databaseUrl ? it : it.skip;
  server(`refuses a PostgreSQL schema that holds a SQL event log${databaseUrl ? '' : ' (skipped: DATABASE_URL not set)'}`, async () => {
    const schema = freshSchema();
    await (await openLedgerStorage({ kind: 'postgres', url: databaseUrl! }, schema)).close();
    await expect(openLedgerStorage({ kind: 'kurrentdb', url: unreachable, databaseUrl: databaseUrl! }, schema)).rejects.toThrow(
      `schema ${schema} of the PostgreSQL database holds a SQL event log`,
    );
  });

  server(`rejects at open when KurrentDB cannot be reached${databaseUrl ? '' : ' (skipped: DATABASE_URL not set)'}`, async () => {
    const schema = freshSchema();
    await expect(openLedgerStorage({ kind: 'kurrentdb', url: unreachable, databaseUrl: databaseUrl! }, schema)).rejects.toBeInstanceOf(
      UnavailableError,
    );
  });
});

const kurrentSkip = !kurrentUrl
  ? 'no KurrentDB server reachable (KURRENTDB_URL not set)'
  : !databaseUrl
    ? 'DATABASE_URL not set'
    : undefined;
const describeKurrent = (title: string, body: () => void) =>
  kurrentSkip ? describeSkipped(title, kurrentSkip, body) : describe(title, body);

describeKurrent('openLedgerStorage, kurrentdb', () => {
  it('keeps the log and its dedupe keys in KurrentDB, and gives PostgreSQL for the read models', async () => {
    const schema = freshSchema();
    const storage = await openLedgerStorage({ kind: 'kurrentdb', url: kurrentUrl!, databaseUrl: databaseUrl! }, schema);
    try {
      expect(storage.kind).toBe('kurrentdb');
      expect(storage.embedded).toBe(false);
      expect(storage.sqlLog).toBeUndefined();

      const stream = `account-${tag}`;
      const key = `key-${tag}`;
      const head = await storage.store.headPosition();
      const [result] = await storage.store.append(charge(stream, key));
      expect((await storage.store.readAll(head, 100)).filter((e) => e.streamId === stream).map((e) => e.globalPosition)).toEqual([
        result.lastPosition,
      ]);
      expect((await storage.store.findDedupe([key])).get(key)).toEqual({ key, fingerprint: 'f', streamId: stream });

      // PostgreSQL has the schema (for the process managers' tables) and none of the log's tables
      const [row] = await storage.database.query<{ schema: string | null; events: string | null; dedupe: string | null }>(
        `SELECT (SELECT nspname::text FROM pg_namespace WHERE nspname = $1) AS schema, to_regclass($2)::text AS events, to_regclass($3)::text AS dedupe`,
        [schema, `${schema}.events`, `${schema}.dedupe`],
      );
      expect(row).toEqual({ schema, events: null, dedupe: null });
      await storage.database.transaction(async (tx) => {
        await tx.query(`CREATE TABLE ${schema}.rm_probe (position bigint NOT NULL)`);
        await tx.query(`INSERT INTO ${schema}.rm_probe VALUES ($1::bigint)`, [String(result.lastPosition)]);
      });
      expect(await storage.database.query(`SELECT position FROM ${schema}.rm_probe`)).toEqual([{ position: result.lastPosition }]);
    } finally {
      await storage.close();
    }
  });
});
