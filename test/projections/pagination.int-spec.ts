// Pages stay stable while writes continue (a cursor is a place in the log: new entries only come
// after it), and a client sees its own writes: a reading route waits for the projector to reach
// the log's head as of the request. With LEDGER_PROJECTOR=off the service waits on a projector
// running elsewhere, and says so (503) when none catches up in time.
import { PgClient, SqlClient } from '@ledger/event-store';
import { SqlLogReader } from '@ledger/service/projections/log-reader';
import { Projector } from '@ledger/service/projections/projector';
import { eachDatabase, freshSchema, Service, startService } from './support';

let seq = 0;
const render = (subject: string, time: string, durationMs = 40_000) => ({
  specversion: '1.0',
  id: `p-${process.pid}-${++seq}`,
  source: 'renderer/eu-west-1',
  type: 'render.completed',
  time,
  subject,
  data: { jobId: `job-${seq}`, product: 'avatar_video', engine: 'unlimited', durationMs, resolution: '1080p', watermarked: false },
});
/** Usage times: from 3 January 01:00, a minute apart (accounts open at 00:00, the clock then stands on the 5th). */
const minute = (n: number) => new Date(Date.UTC(2026, 0, 3, 1, 0, 0) + n * 60_000).toISOString();

async function proAccount(s: Service, accountId: string): Promise<void> {
  await s.http.post('/v1/accounts').send({ accountId, name: accountId }).expect(201);
  await s.http.post(`/v1/accounts/${accountId}/plans`).send({ plan: 'api_pro', allowOverage: true }).expect(201);
}

const place = (e: any) => `${String(e.position).padStart(12, '0')}/${e.kind === 'overage' || e.kind === 'uncovered' ? 1 : 0}`;

eachDatabase('pages while writes continue', (target) => {
  let s: Service;
  beforeAll(async () => {
    s = await startService(target, freshSchema('svc'));
    await s.http.put('/v1/simulation/clock').send({ now: '2026-01-03T00:00:00.000Z' }).expect(200);
    await proAccount(s, 'acct_a');
    await proAccount(s, 'acct_b');
    await s.http.put('/v1/simulation/clock').send({ now: '2026-01-05T00:00:00.000Z' }).expect(200);
    await s.http
      .post('/v1/events')
      .send(Array.from({ length: 40 }, (_, i) => render(i % 3 ? 'acct_a' : 'acct_b', minute(i))))
      .expect(200);
  }, 60_000);
  afterAll(() => s?.close());

  it('every entry once, in log order; nothing that existed when paging began is missed', async () => {
    const before = (await s.http.get('/v1/accounts/acct_a/entries').expect(200)).body.entries as any[];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing && i < 200; i++) {
        await s.http
          .post('/v1/events')
          .send([render('acct_a', minute(100 + i)), render('acct_b', minute(100 + i))])
          .expect(200);
      }
    })();
    const seen: any[] = [];
    let cursor: string | undefined;
    let pages = 0;
    try {
      for (;;) {
        const res = await s.http
          .get('/v1/accounts/acct_a/entries')
          .query({ limit: 7, ...(cursor ? { cursor } : {}) })
          .expect(200);
        seen.push(...res.body.entries);
        pages++;
        if (!res.body.nextCursor || pages > 200) break;
        cursor = res.body.nextCursor;
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      writing = false;
      await writer;
    }
    expect(pages).toBeGreaterThan(3);
    const places = seen.map(place);
    expect(new Set(places).size).toBe(places.length); // no entry twice
    expect(places).toEqual([...places].sort()); // log order
    expect(seen.slice(0, before.length)).toEqual(before); // what existed first, all of it, first
    // No gap: the pages are exactly the account's entries up to the last one seen.
    const after = (await s.http.get('/v1/accounts/acct_a/entries').query({ limit: 10_000 }).expect(200)).body.entries as any[];
    expect(after.slice(0, seen.length)).toEqual(seen);
    expect(seen.length).toBeGreaterThan(before.length); // writes landed while paging, and were paged too
  });

  it('invoices too: stable pages while accounts are opened', async () => {
    const before = (await s.http.get('/v1/invoices').expect(200)).body.invoices as any[];
    const opening = (async () => {
      for (let i = 0; i < 12; i++) await proAccount(s, `acct_n${i}`);
    })();
    const seen: any[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const res = await s.http
        .get('/v1/invoices')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .expect(200);
      seen.push(...res.body.invoices);
      if (!res.body.nextCursor) break;
      cursor = res.body.nextCursor;
    }
    await opening;
    const numbers = seen.map((i) => i.number);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(seen.slice(0, before.length)).toEqual(before);
    const all = (await s.http.get('/v1/invoices').expect(200)).body.invoices;
    expect(all.slice(0, seen.length)).toEqual(seen);
  });
});

eachDatabase('read-your-writes', (target) => {
  it('a POST is in the very next GET, though the projector polls only every minute', async () => {
    const s = await startService(target, freshSchema('svc'), { LEDGER_PROJECTOR_POLL_MS: '60000' });
    try {
      await s.http.put('/v1/simulation/clock').send({ now: '2026-01-03T00:00:00.000Z' }).expect(200);
      await proAccount(s, 'acct_ryw');
      await s.http.put('/v1/simulation/clock').send({ now: '2026-01-05T00:00:00.000Z' }).expect(200);
      for (let i = 0; i < 5; i++) {
        const e = render('acct_ryw', minute(i));
        await s.http.post('/v1/events').send([e]).expect(200);
        const charges = (await s.http.get('/v1/accounts/acct_ryw/entries').query({ kind: 'charge' }).expect(200)).body.entries;
        expect(charges.map((c: any) => c.usage.id)).toContain(e.id);
      }
    } finally {
      await s.close();
    }
  });

  it('LEDGER_PROJECTOR=off: 503 while no projector runs; answers once one elsewhere catches up; lag on /health and /metrics', async () => {
    const schema = freshSchema('svc');
    const s = await startService(target, schema, { LEDGER_PROJECTOR: 'off', LEDGER_READ_WAIT_MS: '300' });
    let other: SqlClient | undefined;
    let projector: Projector | undefined;
    try {
      await s.http.put('/v1/simulation/clock').send({ now: '2026-01-03T00:00:00.000Z' }).expect(200);
      await proAccount(s, 'acct_off');
      const behind = await s.http.get('/v1/accounts/acct_off/entries');
      expect([behind.status, behind.body.error]).toEqual([503, 'projection_behind']);
      const health = (await s.http.get('/health').expect(200)).body;
      expect(health.projection).toMatchObject({ checkpoint: 0, running: false });
      expect(health.projection.lag).toBe(health.projection.head);
      expect((await s.http.get('/metrics').expect(200)).text).toMatch(
        new RegExp(`^ledger_projection_lag_events ${health.projection.head}$`, 'm'),
      );
      // The projector of `npm run projector`, elsewhere (PostgreSQL: another connection pool).
      other = target.name === 'PostgreSQL' ? PgClient.connect(process.env.DATABASE_URL!) : s.db;
      projector = new Projector({
        db: other,
        reader: new SqlLogReader(other, schema),
        schema: `${schema}_rm`,
        ledgerSchema: schema,
        holder: 'elsewhere',
        pollMs: 10,
      });
      projector.start();
      const entries = (await s.http.get('/v1/accounts/acct_off/entries').expect(200)).body.entries;
      expect(entries.map((e: any) => e.kind)).toEqual(['grant', 'forfeit', 'grant']);
      expect((await s.http.get('/health').expect(200)).body.projection.lag).toBe(0);
    } finally {
      await projector?.stop();
      if (other && other !== s.db) await other.close();
      await s.close();
    }
  });
});
