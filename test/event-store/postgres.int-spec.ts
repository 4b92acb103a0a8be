import { DuplicateKey, openEventStore, PgClient, SqlEventStore, WrongExpectedVersion } from '@ledger/event-store';
import { describeEventStoreConformance, describeSkipped } from './conformance';
import { describeRecentWindow } from './recent-window';

// Needs a server: DATABASE_URL (deploy/postgres/start.sh prints one). Each test gets a fresh
// schema, dropped at the end.
const url = process.env.DATABASE_URL;
const schemas: string[] = [];
const freshSchema = () => {
  const schema = `es_test_${process.pid}_${Date.now().toString(36)}_${schemas.length}`;
  schemas.push(schema);
  return schema;
};
const dropSchemas = async (databaseUrl: string) => {
  const client = PgClient.connect(databaseUrl);
  try {
    for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.close();
  }
};

describeEventStoreConformance(
  'PostgreSQL server',
  url
    ? {
        async open({ beforeCommit }) {
          const schema = freshSchema();
          const store = await SqlEventStore.open(PgClient.connect(url), { schema, beforeCommit });
          const restart = async () => {
            await store.close();
            return SqlEventStore.open(PgClient.connect(url), { schema, beforeCommit });
          };
          return { store, restart };
        },
        cleanup: () => dropSchemas(url),
      }
    : 'DATABASE_URL not set',
);

describeRecentWindow(
  'PostgreSQL server',
  url
    ? () => {
        const schema = freshSchema();
        return ({ recentEvents }) => SqlEventStore.open(PgClient.connect(url), { schema, recentEvents });
      }
    : 'DATABASE_URL not set',
);

// The conformance suite above reads its own appends from memory; this one reads from the server only.
describeEventStoreConformance(
  'PostgreSQL server, reads from the database only',
  url
    ? {
        async open({ beforeCommit }) {
          const schema = freshSchema();
          const store = await SqlEventStore.open(PgClient.connect(url), { schema, beforeCommit, recentEvents: 0 });
          return {
            store,
            restart: () => store.close().then(() => SqlEventStore.open(PgClient.connect(url), { schema, beforeCommit, recentEvents: 0 })),
          };
        },
        cleanup: () => dropSchemas(url),
      }
    : 'DATABASE_URL not set',
);

const describeServer = (title: string, body: () => void) =>
  url ? describe(title, body) : describeSkipped(title, 'DATABASE_URL not set', body);

describeServer('openEventStore (PostgreSQL server)', () => {
  afterAll(() => dropSchemas(url!));

  it('migrates concurrently and idempotently', async () => {
    const schema = freshSchema();
    const stores = await Promise.all([1, 2, 3].map(() => openEventStore({ kind: 'postgres', url: url! }, schema)));
    await stores[0].append([{ streamId: 's', expectedVersion: 0, events: [{ type: 'T', data: {} }] }]);
    expect(await stores[2].headPosition()).toBe(1n);
    await Promise.all(stores.map((s) => s.close()));
  });
});

// A writer that bypasses the store's lock (another program, an older version): the unique indexes
// still hold, and the store reports the conflict as the port says.
describeServer('SqlEventStore against a writer that bypasses its lock', () => {
  afterAll(() => dropSchemas(url!));

  const race = async (rawInsert: (schema: string) => string, append: (store: SqlEventStore) => Promise<unknown>) => {
    const schema = freshSchema();
    const store = await SqlEventStore.open(PgClient.connect(url!), { schema });
    const other = PgClient.connect(url!);
    const conn = await other.pool.connect();
    try {
      await conn.query('BEGIN');
      await conn.query(rawInsert(schema));
      const appending = append(store).then(
        () => undefined,
        (err: unknown) => err,
      );
      await new Promise((resolve) => setTimeout(resolve, 100)); // the append now waits on the index
      await conn.query('COMMIT');
      return await appending;
    } finally {
      conn.release();
      await other.close();
      await store.close();
    }
  };

  it('reports a dedupe key inserted concurrently as DuplicateKey', async () => {
    const err = await race(
      (s) => `INSERT INTO ${s}.dedupe (key, fingerprint, stream_id) VALUES ('k', 'raw', 'elsewhere')`,
      (store) =>
        store.append([{ streamId: 's', expectedVersion: 0, events: [{ type: 'T', data: {} }], dedupe: [{ key: 'k', fingerprint: 'f' }] }]),
    );
    expect(err).toBeInstanceOf(DuplicateKey);
    expect((err as DuplicateKey).keys).toEqual(['k']);
  });

  it('reports a stream version taken concurrently as WrongExpectedVersion', async () => {
    const err = await race(
      (s) => `INSERT INTO ${s}.events (global_position, stream_id, stream_version, type, data) VALUES (1000, 's', 1, 'T', '{}')`,
      (store) => store.append([{ streamId: 's', expectedVersion: 0, events: [{ type: 'T', data: {} }] }]),
    );
    expect(err).toBeInstanceOf(WrongExpectedVersion);
    expect(err).toMatchObject({ streamId: 's', expected: 0, actual: 1 });
  });
});
