import { NewEvent, PgClient, PgliteClient, SqlClient, SqlEventStore } from '@ledger/event-store';
import { describeSkipped } from './conformance';

// Target: appending a batch costs at most 1.5x a raw batched INSERT of the same rows into a table
// with the same columns and indexes. Rounds alternate so background load hits both sides alike.
const ROWS = 2000;
const ROUNDS = 7;
const MAX_RATIO = 1.5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const elapsed = async (fn: () => Promise<unknown>) => {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
};

async function compare(client: SqlClient, schema: string): Promise<{ append: number; raw: number }> {
  const store = await SqlEventStore.open(client, { schema, ownsClient: false });
  await client.query(`CREATE TABLE ${schema}.raw_events (LIKE ${schema}.events INCLUDING ALL)`);
  const batch: NewEvent[] = Array.from({ length: ROWS }, (_, i) => ({
    type: 'UsageRecorded',
    data: { account: `acct-${i % 50}`, units: i, model: 'small', at: new Date(0).toISOString() },
    metadata: { requestId: `req-${i}` },
  }));
  let next = 1;
  const raw = async (round: number) => {
    const first = next;
    next += ROWS;
    await client.query(
      `INSERT INTO ${schema}.raw_events (global_position, stream_id, stream_version, type, data, metadata)
       SELECT $1::bigint + u.ord, u.sid, u.ver, u.typ, u.dat, u.met
       FROM unnest($2::text[], $3::int[], $4::text[], $5::jsonb[], $6::jsonb[]) WITH ORDINALITY AS u(sid, ver, typ, dat, met, ord)`,
      [
        String(first - 1),
        batch.map(() => `raw-${round}`),
        batch.map((_, i) => i + 1),
        batch.map((e) => e.type),
        batch.map((e) => JSON.stringify(e.data)),
        batch.map((e) => JSON.stringify(e.metadata)),
      ],
    );
  };
  const append = (round: number) => store.append([{ streamId: `s-${round}`, expectedVersion: 0, events: batch }]);

  await raw(-1); // warm up plans and caches
  await append(-1);
  const times = { append: [] as number[], raw: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    times.raw.push(await elapsed(() => raw(round)));
    times.append.push(await elapsed(() => append(round)));
  }
  await store.close();
  return { append: median(times.append), raw: median(times.raw) };
}

const expectWithinTarget = (label: string, t: { append: number; raw: number }) => {
  process.stderr.write(
    `${label}: ${ROWS} events, append ${t.append.toFixed(1)} ms, raw INSERT ${t.raw.toFixed(1)} ms (x${(t.append / t.raw).toFixed(2)})\n`,
  );
  expect(t.append).toBeLessThanOrEqual(t.raw * MAX_RATIO);
};

describe('append cost against a raw batched INSERT', () => {
  it('PGlite', async () => {
    const client = await PgliteClient.open();
    try {
      expectWithinTarget('PGlite', await compare(client, 'perf'));
    } finally {
      await client.close();
    }
  });
});

const url = process.env.DATABASE_URL;
const body = () => {
  it('PostgreSQL server', async () => {
    const client = PgClient.connect(url!);
    const schema = `es_perf_${process.pid}_${Date.now().toString(36)}`;
    try {
      expectWithinTarget('PostgreSQL', await compare(client, schema));
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.close();
    }
  });
};
if (url) describe('append cost against a raw batched INSERT (server)', body);
else describeSkipped('append cost against a raw batched INSERT (server)', 'DATABASE_URL not set', body);
