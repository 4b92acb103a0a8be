// Tamper evidence on the SQL store (README "Tamper evidence"): the audit recomputes every hash and
// the running digest from the bytes stored and names the first event edited, removed or moved with
// plain SQL; a digest published before finds a rewrite whose hashes were made anew; a store made
// before the chain gets the same hashes when it opens, and only ever at the end of its chain.
import {
  chainChecksOf,
  ChainReport,
  PgClient,
  PgliteClient,
  SqlClient,
  SqlEventStore,
  StreamAppend,
  verifyChain,
} from '@ledger/event-store';
import { describeSkipped } from './conformance';

const url = process.env.DATABASE_URL;
const tag = `${process.pid}_${Date.now().toString(36)}`;
let count = 0;

/** The same small log in a fresh schema: three account streams, interleaved, with usage keys. */
async function logIn(client: SqlClient): Promise<{ store: SqlEventStore; schema: string }> {
  const schema = `chain_${tag}_${++count}`;
  const store = await SqlEventStore.open(client, { schema, ownsClient: false, recentEvents: 0 });
  const charge = (account: string, i: number): StreamAppend => ({
    streamId: `account-${account}`,
    expectedVersion: 'any',
    events: [{ type: 'UsageCharged', data: { credits: `${i}.5`, draws: [{ lot: `l${i}`, credits: '1' }] }, metadata: { via: 'test', i } }],
    dedupe: [{ key: `["src","e${account}${i}"]`, fingerprint: `f${i}` }],
  });
  await store.append([{ streamId: 'account-a', expectedVersion: 0, events: [{ type: 'AccountOpened', data: { id: 'a' } }] }]);
  await store.append([
    { streamId: 'account-b', expectedVersion: 0, events: [{ type: 'AccountOpened', data: { id: 'b' } }] },
    { streamId: 'account-c', expectedVersion: 0, events: [{ type: 'AccountOpened', data: { id: 'c' } }] },
  ]);
  for (let i = 1; i <= 4; i++) await store.append([charge('a', i), charge('b', i), ...(i % 2 ? [charge('c', i)] : [])]);
  return { store, schema };
}

/** Swaps the positions of two events (through a free position: the primary key holds at every row). */
async function swap(client: SqlClient, schema: string, p: string | number, q: string | number): Promise<void> {
  await client.query(`UPDATE ${schema}.events SET global_position = -1 WHERE global_position = ${p}`);
  await client.query(`UPDATE ${schema}.events SET global_position = ${p} WHERE global_position = ${q}`);
  await client.query(`UPDATE ${schema}.events SET global_position = ${q} WHERE global_position = -1`);
}

const audit = (store: SqlEventStore, published?: { position: bigint; digest: string }[]) =>
  verifyChain(store, { ...chainChecksOf(store), published, pageSize: 4 });

/** The fault the audit names: kind, stream, version, position. */
const named = (r: ChainReport) => [r.fault?.kind, r.fault?.streamId, r.fault?.streamVersion, r.fault?.position];

function tamperTests(name: string, connect: () => Promise<SqlClient>, cleanup: (schemas: string[]) => Promise<void>) {
  describe(`${name}: the audit of the chain`, () => {
    let client: SqlClient;
    const schemas: string[] = [];
    const fresh = async () => {
      const log = await logIn(client);
      schemas.push(log.schema);
      return log;
    };
    beforeAll(async () => (client = await connect()));
    afterAll(async () => cleanup(schemas));

    it('finds an untouched log intact, with the digest the store gives out at its head', async () => {
      const { store } = await fresh();
      const report = await audit(store);
      expect(report.ok).toBe(true);
      expect(report.events).toBe(13);
      expect(await store.logDigest()).toEqual({ position: report.position, digest: report.digest });
      expect(await audit(store, [{ position: 9n, digest: (await store.logDigest(9n))!.digest }])).toMatchObject({ ok: true });
    });

    it('names the event whose data, metadata or type were edited with plain SQL', async () => {
      const { store, schema } = await fresh();
      const [{ p }] = await client.query<{ p: string }>(
        `UPDATE ${schema}.events SET data = jsonb_set(data, '{credits}', '"0.5"')
         WHERE stream_id = 'account-b' AND stream_version = 3 RETURNING global_position::text AS p`,
      );
      const report = await audit(store);
      expect(named(report)).toEqual(['changed', 'account-b', 3, BigInt(p)]);
      expect(report.fault!.message).toMatch(
        new RegExp(`^stream account-b version 3 \\(global position ${p}\\): its bytes do not match its hash`),
      );

      const other = await fresh();
      await client.query(`UPDATE ${other.schema}.events SET metadata = '{"via":"someone"}' WHERE global_position = 2`);
      expect(named(await audit(other.store))).toEqual(['changed', 'account-b', 1, 2n]);
      const third = await fresh();
      await client.query(`UPDATE ${third.schema}.events SET type = 'UsageRefunded' WHERE global_position = 12`);
      expect((await audit(third.store)).fault).toMatchObject({ kind: 'changed', position: 12n });
    });

    it('names the place of an event removed from the middle, and the stream of one removed from the end', async () => {
      const { store, schema } = await fresh();
      await client.query(`DELETE FROM ${schema}.events WHERE global_position = 7`);
      const report = await audit(store);
      expect(report.fault).toMatchObject({ kind: 'position_gap', position: 8n });
      expect(report.fault!.message).toContain('position 7 is missing');

      const end = await fresh();
      const [last] = await client.query<{ s: string; v: number }>(
        `DELETE FROM ${end.schema}.events WHERE global_position = 13 RETURNING stream_id AS s, stream_version AS v`,
      );
      expect((await audit(end.store)).fault).toMatchObject({ kind: 'stream_head', streamId: last.s, streamVersion: last.v });
    });

    it('names the first event out of its place when two are swapped', async () => {
      // Two streams' events: each stream's chain still holds; the log's digest does not.
      const { store, schema } = await fresh();
      await swap(client, schema, 4, 5);
      const report = await audit(store);
      expect(report.fault).toMatchObject({ kind: 'digest', position: 4n });
      expect(report.fault!.message).toContain('not where it was recorded in the log');
      // One stream's: its versions no longer follow on.
      const same = await fresh();
      const rows = await client.query<{ p: string }>(
        `SELECT global_position::text AS p FROM ${same.schema}.events WHERE stream_id = 'account-a' AND stream_version IN (2, 3) ORDER BY 1`,
      );
      const [p2, p3] = rows.map((r) => r.p);
      await swap(client, same.schema, p2, p3);
      expect(named(await audit(same.store))).toEqual(['stream_order', 'account-a', 3, BigInt(p2)]);
    });

    it('names an event whose recorded time was changed, and one whose hash was removed', async () => {
      const { store, schema } = await fresh();
      await client.query(`UPDATE ${schema}.events SET recorded_at = recorded_at - interval '1 day' WHERE global_position = 11`);
      expect((await audit(store)).fault).toMatchObject({ kind: 'digest', position: 11n });
      const other = await fresh();
      await client.query(`UPDATE ${other.schema}.events SET hash = NULL WHERE global_position = 6`);
      expect((await audit(other.store)).fault).toMatchObject({ kind: 'unhashed', position: 6n });
      // Reopening does not hash it anew: the chain only grows at its end.
      const reopened = await SqlEventStore.open(client, { schema: other.schema, ownsClient: false });
      expect(reopened.backfilled).toBeUndefined();
      expect((await audit(reopened)).fault).toMatchObject({ kind: 'unhashed', position: 6n });
    });

    it('finds a rewrite whose hashes were made anew by the digest published before it', async () => {
      const { store, schema } = await fresh();
      const published = (await store.logDigest())!;
      await client.query(
        `UPDATE ${schema}.events SET data = '{"credits":"0"}', hash = NULL, log_digest = NULL WHERE global_position >= 12`,
      );
      const reopened = await SqlEventStore.open(client, { schema, ownsClient: false }); // hashes the "new" tail
      expect(reopened.backfilled).toEqual({ from: 12n, to: 13n, events: 2 });
      expect((await audit(reopened)).ok).toBe(true);
      const report = await audit(reopened, [published]);
      expect(report.fault).toMatchObject({ kind: 'published', position: published.position });
      expect(report.fault!.message).toContain(`not the ${published.digest} published`);
    });
  });

  describe(`${name}: a store made before the chain`, () => {
    let client: SqlClient;
    const schemas: string[] = [];
    beforeAll(async () => (client = await connect()));
    afterAll(async () => cleanup(schemas));

    it('gets, when it opens, the hashes and digests its appends would have had', async () => {
      const { store, schema } = await logIn(client);
      schemas.push(schema);
      const chained = await store.readAll(0n, 100);
      // The columns of a store of before: no hashes anywhere.
      await client.query(`UPDATE ${schema}.events SET hash = NULL, log_digest = NULL`);
      await client.query(`UPDATE ${schema}.streams SET hash = NULL`);
      expect((await SqlEventStore.open(client, { schema, ownsClient: false })).backfilled).toEqual({
        from: 1n,
        to: 13n,
        events: 13,
      });
      const reopened = await SqlEventStore.open(client, { schema, ownsClient: false, recentEvents: 0 });
      expect(reopened.backfilled).toBeUndefined();
      expect(await reopened.readAll(0n, 100)).toEqual(chained);
      expect((await audit(reopened)).ok).toBe(true);
    });

    it('hashes what a writer without the chain appended before its next append', async () => {
      const { store, schema } = await logIn(client);
      schemas.push(schema);
      // An older ledger still running: it knows neither the columns nor the chain.
      await client.query(
        `INSERT INTO ${schema}.events (global_position, stream_id, stream_version, type, data) VALUES (14, 'account-a', 6, 'Noted', '{"old":true}')`,
      );
      await client.query(`UPDATE ${schema}.streams SET version = 6 WHERE stream_id = 'account-a'`);
      const [next] = await store.append([{ streamId: 'account-a', expectedVersion: 6, events: [{ type: 'Noted', data: {} }] }]);
      expect(next).toMatchObject({ nextVersion: 7, lastPosition: 15n });
      const report = await audit(store);
      expect(report).toMatchObject({ ok: true, events: 15, position: 15n });
    });
  });
}

tamperTests(
  'PGlite',
  (() => {
    let db: PgliteClient | undefined;
    afterAll(() => db?.close());
    return async () => (db ??= await PgliteClient.open());
  })(),
  async () => undefined,
);

if (url) {
  const clients: PgClient[] = [];
  afterAll(() => Promise.all(clients.map((c) => c.close())));
  tamperTests(
    'PostgreSQL',
    async () => {
      const c = PgClient.connect(url);
      clients.push(c);
      return c;
    },
    async (schemas) => {
      const c = PgClient.connect(url);
      for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      await c.close();
    },
  );
} else {
  describeSkipped('PostgreSQL: the audit of the chain', 'DATABASE_URL not set', () =>
    tamperTests(
      'PostgreSQL',
      () => Promise.reject(new Error('no server')),
      async () => undefined,
    ),
  );
}
