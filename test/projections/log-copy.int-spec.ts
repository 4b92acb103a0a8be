// A log outside the read models' database (LEDGER_STORE=kurrentdb): the finance projector then
// reads through the port and keeps a copy of the account events in <rm>.log_events for what the
// read models join to their events. KurrentDB cannot run on this machine, so the same shape is
// built from two PGlite databases: the log in one, seen only through the port, and the read
// models and process managers in the other (which has no events table at all). Its answers are
// held equal to those of the service that reads the SQL log itself.
import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { LEDGER_DATABASE, LEDGER_STORAGE, LedgerStorage, openLedgerStorage, PgliteClient, SqlClient } from '@ledger/event-store';
import { readConfig } from '@ledger/service/config';
import { LedgerModule } from '@ledger/service/ledger.module';
import { STORE_CONFIG, StoreConfig } from '@ledger/service/store/store-config';
import { configureLedgerApp } from '../../apps/ledger/src/create-app';
import { playSampleMonth, SAMPLE_ACCOUNTS, Service, SIMULATION_START } from './support';
import { ADMIN_ENV, asKey } from '../support/access';

/** The database of the port-only service's log (not the one its read models are in). */
let logDb: SqlClient;

async function service(portOnly: boolean): Promise<Service> {
  const config = readConfig({ ...ADMIN_ENV, LEDGER_STORE: 'pglite', LEDGER_SIMULATION: 'true', LEDGER_SIMULATION_START: SIMULATION_START });
  let builder = Test.createTestingModule({ imports: [LedgerModule.forRoot(config)] });
  if (portOnly) {
    builder = builder.overrideProvider(LEDGER_STORAGE).useFactory({
      factory: async (c: StoreConfig): Promise<LedgerStorage> => {
        const log = await openLedgerStorage(c.store, c.schema);
        logDb = log.database;
        const database = await PgliteClient.open();
        await database.query(`CREATE SCHEMA ${c.schema}`);
        return {
          kind: log.kind,
          store: log.store,
          database,
          embedded: true,
          close: async () => {
            await log.close();
            await database.close();
          },
        };
      },
      inject: [STORE_CONFIG],
    });
  }
  const moduleRef = await builder.compile();
  const app = configureLedgerApp(moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: ['error'] }), config);
  await app.init();
  return { app, http: asKey(app.getHttpServer()), db: app.get<SqlClient>(LEDGER_DATABASE), close: () => app.close() };
}

/** Every answer of the finance API over the sample month that comes from the read models. */
async function answers(s: Service): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const get = async (path: string) => {
    const res = await s.http.get(path);
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.headers['content-type']?.startsWith('text/csv') ? res.text : res.body;
  };
  for (const a of SAMPLE_ACCOUNTS) out[`entries ${a.accountId}`] = await get(`/v1/accounts/${a.accountId}/entries?limit=1000`);
  out.invoices = await get('/v1/invoices?limit=1000');
  out.usage = await get('/v1/usage?from=2026-01-01&to=2026-02-01&groupBy=day');
  out['entries.csv'] = await get('/v1/exports/entries.csv?from=2026-01-01T00:00:00Z&to=2026-02-02T00:00:00Z');
  out['invoices.csv'] = await get('/v1/exports/invoices.csv?from=2026-01-01T00:00:00Z&to=2026-02-02T00:00:00Z');
  return out;
}

describe('read models over a log outside their database (the kurrentdb path, on PGlite through the port only)', () => {
  let sql: Service;
  let port: Service;
  beforeAll(async () => {
    sql = await service(false);
    port = await service(true);
    await playSampleMonth(sql);
    await playSampleMonth(port);
  }, 180_000);
  afterAll(async () => {
    await sql?.close();
    await port?.close();
  });

  it('answers entries, invoices, usage and exports exactly as the service that reads the SQL log', async () => {
    // The two services recorded at other instants of real time with other request ids: those aside, every byte agrees.
    const today = new Date().toISOString().slice(0, 4);
    const apart = (a: Record<string, unknown>) =>
      JSON.parse(
        JSON.stringify(a)
          .replace(new RegExp(`${today}-\\d\\d-\\d\\dT[\\d:.]+Z`, 'g'), '<recorded>')
          .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<request>'),
      );
    const expected = await answers(sql);
    expect((expected['entries acct_pro'] as { entries: unknown[] }).entries.length).toBeGreaterThan(10);
    expect(apart(await answers(port))).toEqual(apart(expected));
  });

  it('renders each entry with the recording time and provenance of its own event in the log', async () => {
    const { entries } = (await port.http.get('/v1/accounts/acct_pro/entries?limit=1000').expect(200)).body as {
      entries: { position: string; recordedAt: string; provenance: unknown }[];
    };
    const rows = await logDb.query<{ p: string; recorded_at: Date; metadata: unknown }>(
      'SELECT global_position::text AS p, recorded_at, metadata FROM ledger.events WHERE global_position = ANY($1::bigint[])',
      [entries.map((e) => e.position)],
    );
    const byPosition = new Map(rows.map((r) => [r.p, r]));
    for (const e of entries) {
      expect(e.recordedAt).toBe(byPosition.get(e.position)!.recorded_at.toISOString());
      expect(e.provenance).toEqual(byPosition.get(e.position)!.metadata);
    }
  });

  it('keeps the copy of the account events in the read models, and only there', async () => {
    const [copy] = await port.db.query<{ n: string }>('SELECT count(*)::text AS n FROM ledger_rm.log_events');
    const [log] = await logDb.query<{ n: string }>("SELECT count(*)::text AS n FROM ledger.events WHERE stream_id LIKE 'account-%'");
    const [events] = await port.db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'ledger' AND table_name = 'events'",
    );
    expect(events.n).toBe('0'); // the read models' database has no log
    expect(Number(copy.n)).toBe(Number(log.n));
    const [none] = await sql.db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'ledger_rm' AND table_name = 'log_events'",
    );
    expect(none.n).toBe('0');
  });
});
