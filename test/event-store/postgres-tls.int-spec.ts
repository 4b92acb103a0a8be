// PostgreSQL over TLS, set in the connection string as libpq's: `?sslmode=verify-full&sslrootcert=<CA file>`.
// deploy/postgres/start.sh switches ssl=on with a CA and server certificate of its own
// (127.0.0.1, localhost) in <cluster dir>-tls (/tmp/ledger-pg-tls; LEDGER_PG_TLS_CA names another
// CA file); plain connections keep working. Skipped, saying why, without DATABASE_URL, the CA
// file or a TLS answer from the server.
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { openLedgerStorage, PgClient, storeErrorKind } from '@ledger/event-store';
import { readConfig } from '@ledger/service/config';
import { describeSkipped } from './conformance';

const REPO_ROOT = join(__dirname, '..', '..');
const databaseUrl = process.env.DATABASE_URL;
const caFile =
  process.env.LEDGER_PG_TLS_CA ?? join(process.env.LEDGER_PG_TLS_DIR ?? `${process.env.LEDGER_PG_DIR ?? '/tmp/ledger-pg'}-tls`, 'ca.crt');

/** `url` with these query parameters added. */
function withParams(url: string, params: Record<string, string>): string {
  const u = new URL(url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}
const verifyFull = (url: string, ca: string) => withParams(url, { sslmode: 'verify-full', sslrootcert: ca });

/** Decided when the file loads: a verify-full connection with the CA answers, or the reason it does not. */
function unavailable(): string | undefined {
  if (!databaseUrl) return 'DATABASE_URL not set (deploy/postgres/start.sh prints it)';
  if (!existsSync(caFile)) return `no CA file ${caFile} (deploy/postgres/start.sh makes it; LEDGER_PG_TLS_CA names another)`;
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const c = new (require('pg').Client)({ connectionString: process.argv[1] });
       c.connect().then(() => c.end()).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });`,
      verifyFull(databaseUrl, caFile),
    ],
    { cwd: REPO_ROOT, encoding: 'utf8', timeout: 15_000 },
  );
  return probe.status === 0 ? undefined : `no TLS connection with ${caFile}: ${(probe.stderr || probe.error?.message || '').trim()}`;
}

const reason = unavailable();
const body = () => {
  const tag = `tls_${process.pid}_${Date.now().toString(36)}`;
  const schemas: string[] = [];
  const freshSchema = () => {
    schemas.push(`${tag}_${schemas.length}`);
    return schemas[schemas.length - 1];
  };
  let otherCa: string;

  beforeAll(() => {
    // a CA that signed nothing this server shows
    otherCa = mkdtempSync(join(tmpdir(), 'ledger-pg-other-ca-'));
    execFileSync('bash', [join(REPO_ROOT, 'deploy/tls/make-certs.sh'), otherCa], { stdio: ['ignore', 'ignore', 'inherit'] });
  });

  afterAll(async () => {
    const client = PgClient.connect(databaseUrl!);
    try {
      for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    } finally {
      await client.close();
    }
    if (otherCa) rmSync(otherCa, { recursive: true, force: true });
  });

  const sslOfThisConnection = async (client: { query<R>(text: string): Promise<R[]> }) =>
    (await client.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'))[0].ssl;

  it("verify-full with the server's CA: the ledger's storage opens over TLS and appends", async () => {
    const url = verifyFull(databaseUrl!, caFile);
    const config = readConfig({ DATABASE_URL: url, LEDGER_SCHEMA: freshSchema() });
    expect(config.store).toEqual({ kind: 'postgres', url });
    const storage = await openLedgerStorage(config.store, config.schema);
    try {
      const [result] = await storage.store.append([
        { streamId: 'account-tls', expectedVersion: 0, events: [{ type: 'UsageCharged', data: { credits: '1' } }], dedupe: [] },
      ]);
      expect((await storage.store.readStream('account-tls')).map((e) => e.globalPosition)).toEqual([result.lastPosition]);
      expect(await sslOfThisConnection(storage.database)).toBe(true);
    } finally {
      await storage.close();
    }
  });

  it('verify-full to the host name localhost works too (the certificate carries 127.0.0.1 and localhost)', async () => {
    const u = new URL(verifyFull(databaseUrl!, caFile));
    u.hostname = 'localhost';
    const client = PgClient.connect(u.toString());
    try {
      expect(await sslOfThisConnection(client)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it("a CA that did not sign the server's certificate: the storage does not open; a clear error, a store outage (not the record's fault)", async () => {
    const failure = await openLedgerStorage(
      { kind: 'postgres', url: verifyFull(databaseUrl!, join(otherCa, 'ca.crt')) },
      freshSchema(),
    ).then(
      async (storage) => {
        await storage.close();
        return undefined;
      },
      (err: Error) => err,
    );
    expect(failure).toBeDefined();
    expect(failure!.message).toMatch(/^PostgreSQL over TLS: .*certificate.* \([A-Z_]+\); check sslmode and sslrootcert/);
    expect(storeErrorKind(failure)).toBe('unavailable');
  });

  it('a name the certificate does not carry is refused: node-postgres checks the host name, as verify-full says', async () => {
    // the same server and CA, the identity checked against another name
    const client = PgClient.connect(
      databaseUrl!,
      { ssl: { ca: readFileSync(caFile, 'utf8'), servername: 'db.example.invalid' } },
      () => undefined,
    );
    try {
      const failure = await client.query('SELECT 1').then(
        () => undefined,
        (err: Error & { code?: string }) => err,
      );
      expect(failure?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(failure?.message).toMatch(/^PostgreSQL over TLS: .*db\.example\.invalid.*altnames/);
    } finally {
      await client.close();
    }
  });

  it('plain connections (no sslmode) keep working beside TLS', async () => {
    const client = PgClient.connect(databaseUrl!);
    try {
      expect(await sslOfThisConnection(client)).toBe(false);
    } finally {
      await client.close();
    }
  });
};

if (reason) describeSkipped('PostgreSQL over TLS (sslmode=verify-full)', reason, body);
else describe(`PostgreSQL over TLS (sslmode=verify-full, CA ${caFile})`, body);
