// Bulk rows go in with COPY (the projector's entries): every value must arrive as it was, on
// PGlite and on a PostgreSQL server, inside a transaction and outside one.
import { PgClient, PgliteClient, SqlClient } from '@ledger/event-store';
import { copyText } from '../../apps/ledger/src/projections/sql-arrays';
import { describeSkipped } from './conformance';

const tricky = ['plain', 'tab\there', 'line\nbreak', 'cr\rhere', 'back\\slash', '\\N', '\\.', 'é ☃', ''];

function copySuite(open: () => Promise<SqlClient>): void {
  let db: SqlClient;
  const table = `copy_test_${process.pid}_${Date.now().toString(36)}`;
  beforeAll(async () => {
    db = await open();
    await db.query(`CREATE TABLE ${table} (n bigint, s text, t timestamptz)`);
  });
  afterAll(async () => {
    await db.query(`DROP TABLE IF EXISTS ${table}`);
    await db.close();
  });

  it('stores text with tabs, newlines, backslashes and nulls exactly, in a transaction and outside one', async () => {
    // given rows whose text needs escaping, and a null in every column
    const n = [...tricky.map((_, i) => BigInt(i) * 10_000_000_000n), null];
    const s = [...tricky, null];
    const t = [...tricky.map(() => '2026-01-02T03:04:05.678Z'), null];
    // when they are copied in, once in a transaction and once on their own
    await db.transaction((tx) => tx.copyIn(`COPY ${table} (n, s, t) FROM STDIN`, copyText([n, s, t])));
    await db.copyIn(`COPY ${table} (n, s, t) FROM STDIN`, copyText([n, s, t]));
    // then the table holds each of them twice, as given
    const rows = await db.query<{ n: bigint | null; s: string | null; t: Date | null }>(`SELECT n, s, t FROM ${table} ORDER BY n NULLS LAST, s`);
    const expected = n.map((x, i) => ({ n: x, s: s[i], t: t[i] === null ? null : new Date(t[i]!) })).flatMap((r) => [r, r]);
    expect(rows.map((r) => ({ n: r.n === null ? null : BigInt(r.n), s: r.s, t: r.t === null ? null : new Date(r.t) }))).toEqual(expected);
  });

  it('rolls a copy back with its transaction', async () => {
    const before = await db.query<{ c: string }>(`SELECT count(*)::text AS c FROM ${table}`);
    await expect(db.transaction(async (tx) => {
      await tx.copyIn(`COPY ${table} (n, s) FROM STDIN`, copyText([[1n], ['gone']]));
      throw new Error('abort');
    })).rejects.toThrow('abort');
    expect(await db.query<{ c: string }>(`SELECT count(*)::text AS c FROM ${table}`)).toEqual(before);
  });
}

describe('COPY into PGlite', () => copySuite(() => PgliteClient.open()));
const url = process.env.DATABASE_URL;
if (url) describe('COPY into a PostgreSQL server', () => copySuite(async () => PgClient.connect(url)));
else describeSkipped('COPY into a PostgreSQL server', 'DATABASE_URL not set', () => copySuite(async () => PgClient.connect('')));
