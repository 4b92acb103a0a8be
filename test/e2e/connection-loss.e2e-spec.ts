// A lost PostgreSQL connection never crashes the process (issue 11): the connections are killed
// from the server side (pg_terminate_backend, what a restart or `pg_ctl -m immediate` does to
// them) inside a transaction, under a query and while idle in the pool. Each failure is told to
// the listener (class and code, no data) and the next query works. Over HTTP: never a 500, and a
// later request works. Needs DATABASE_URL (deploy/postgres/start.sh); skipped without.
import { randomUUID } from 'crypto';
import { PgClient, storeErrorKind } from '@ledger/event-store';
import { Ledger, startLedger } from './support';

const url = process.env.DATABASE_URL;
const describeServer = url ? describe : describe.skip;

const withAppName = (base: string, name: string) => `${base}${base.includes('?') ? '&' : '?'}application_name=${name}`;

describeServer('a lost PostgreSQL connection (DATABASE_URL)', () => {
  let admin: PgClient;
  beforeAll(() => {
    admin = PgClient.connect(url!);
  });
  afterAll(() => admin?.close());

  const terminate = (appName: string) =>
    admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [appName]);
  const terminatePid = (pid: number) => admin.query(`SELECT pg_terminate_backend($1)`, [pid]);

  let uncaught: Error[] = [];
  const onUncaught = (err: Error) => void uncaught.push(err);
  beforeEach(() => {
    uncaught = [];
    process.on('uncaughtException', onUncaught);
  });
  afterEach(() => {
    process.off('uncaughtException', onUncaught);
  });

  it('in a transaction, between two statements: the transaction fails as unavailable, the process lives, the next one works', async () => {
    const told: Error[] = [];
    const client = PgClient.connect(url!, { max: 2 }, (err) => void told.push(err));
    try {
      const failure = await client
        .transaction(async (tx) => {
          const [{ pid }] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await terminatePid(pid);
          await new Promise((resolve) => setTimeout(resolve, 200)); // the socket closes while no query waits
          await tx.query('SELECT 1');
        })
        .then(
          () => undefined,
          (err: Error) => err,
        );
      expect(failure).toBeDefined();
      expect(storeErrorKind(failure)).toBe('unavailable');
      expect(told.length).toBeGreaterThanOrEqual(1);
      expect(await client.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      expect(await client.transaction((tx) => tx.query<{ two: number }>('SELECT 2 AS two'))).toEqual([{ two: 2 }]);
      expect(uncaught).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('under a running statement: it rejects as unavailable, the next transaction works', async () => {
    const client = PgClient.connect(url!, { max: 2 }, () => undefined);
    try {
      const failure = await client
        .transaction(async (tx) => {
          const [{ pid }] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          setTimeout(() => void terminatePid(pid), 100);
          await tx.query('SELECT pg_sleep(5)');
        })
        .then(
          () => undefined,
          (err: Error) => err,
        );
      expect(storeErrorKind(failure)).toBe('unavailable');
      expect(await client.transaction((tx) => tx.query<{ three: number }>('SELECT 3 AS three'))).toEqual([{ three: 3 }]);
      expect(uncaught).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('idle in the pool: told to the listener, the next query opens another connection', async () => {
    const appName = `ledger_idle_${randomUUID().slice(0, 8)}`;
    const told: string[] = [];
    const client = PgClient.connect(withAppName(url!, appName), { max: 2 }, (err) => void told.push(err.message));
    try {
      await client.query('SELECT 1');
      await terminate(appName);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(told.length).toBeGreaterThanOrEqual(1);
      expect(await client.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      expect(uncaught).toEqual([]);
    } finally {
      await client.close();
    }
  });

  describe('the HTTP service on PostgreSQL', () => {
    const appName = `ledger_http_${randomUUID().slice(0, 8)}`;
    const schema = `faults_${process.pid}_${Date.now().toString(36)}`;
    let ledger: Ledger;
    beforeAll(async () => {
      ledger = await startLedger({ LEDGER_STORE: 'postgres', DATABASE_URL: withAppName(url!, appName), LEDGER_SCHEMA: schema });
    });
    afterAll(async () => {
      await ledger?.close();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.query(`DROP SCHEMA IF EXISTS ${schema}_rm CASCADE`);
    });

    it('its connections killed while requests run: every answer is 200 or 503 (never a 500), the process lives, a later request works', async () => {
      const open = await ledger.http.post('/v1/accounts').send({ accountId: 'acct_loss', name: 'Loss' });
      expect(open.status).toBe(201);
      const statuses: number[] = [];
      const requests = Array.from({ length: 20 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 15));
        statuses.push((await ledger.http.get('/v1/accounts/acct_loss/balances')).status);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      await terminate(appName);
      await Promise.all(requests);
      expect(statuses.filter((s) => s !== 200 && s !== 503)).toEqual([]);
      let later = 0;
      for (let i = 0; i < 20 && later !== 200; i++) {
        later = (await ledger.http.get('/v1/accounts/acct_loss/balances')).status;
        if (later !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(later).toBe(200);
      expect(uncaught).toEqual([]);
    });
  });
});
