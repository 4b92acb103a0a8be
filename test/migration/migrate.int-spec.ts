// npm run migrate (README "Migrating a store"): the demo month played on PGlite (a data directory) is
// copied to a fresh PostgreSQL schema in batches of 10; the copy crashes inside a batch, the target
// is then refused to the ledger and to a run without --resume, the resumed run finishes it, and the
// target has the source's digests (the log's, and those of the read models rebuilt from it) and
// balances and invoices.
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  chainChecksOf,
  ImportBatch,
  KurrentDbEventStore,
  MigrationRefused,
  MigrationState,
  openLedgerStorage,
  openMigrationSource,
  openMigrationTarget,
  parseStoreDescription,
  PgClient,
  PgliteClient,
  runMigration,
  SqlEventStore,
  verifyChain,
} from '@ledger/event-store';
import { SqlLogReader } from '@ledger/service/projections/log-reader';
import { readModelDigests, rebuildReadModels } from '@ledger/service/projections/replay';
import { describeSkipped } from '../event-store/conformance';
import { PGLITE, playSampleMonth, POSTGRES, SAMPLE_ACCOUNTS, startService } from '../projections/support';

const url = process.env.DATABASE_URL;
const AS_OF = '2026-02-01T00:00:00.000Z';

/** What a finance reader sees of the month: every sample account's balances and the invoices. */
async function figures(http: Awaited<ReturnType<typeof startService>>['http']) {
  const balances: Record<string, unknown> = {};
  for (const a of SAMPLE_ACCOUNTS)
    balances[a.accountId] = (await http.get(`/v1/accounts/${a.accountId}/balances`).query({ asOf: AS_OF }).expect(200)).body;
  const invoices = (await http.get('/v1/invoices').query({ limit: 500 }).expect(200)).body;
  const digest = (await http.get('/v1/audit/digest').expect(200)).body;
  return { balances, invoices, digest: { position: digest.position, digest: digest.digest } };
}

/** The read models rebuilt from the log of `ledgerSchema` in `db`: their digests, as npm run replay prints them. */
async function rebuiltDigests(db: PgliteClient | PgClient, ledgerSchema: string) {
  const schema = `${ledgerSchema}_rm_check`;
  await rebuildReadModels({ db, reader: new SqlLogReader(db, ledgerSchema), schema, ledgerSchema, batchSize: 500 });
  return readModelDigests(db, schema);
}

const body = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-migrate-'));
  const schema = `mig_${process.pid}_${Date.now().toString(36)}`;
  const from = parseStoreDescription(`pglite:${dir}`);
  const to = parseStoreDescription(`postgres:${url}#${schema}`);
  let source: Awaited<ReturnType<typeof figures>>;
  let sourceDigests: Awaited<ReturnType<typeof rebuiltDigests>>;
  let events: bigint;

  beforeAll(async () => {
    const service = await startService(PGLITE, 'ledger', { LEDGER_DATA_DIR: dir });
    try {
      await playSampleMonth(service, { holds: true });
      source = await figures(service.http);
    } finally {
      await service.close();
    }
    const db = await PgliteClient.open(dir);
    try {
      sourceDigests = await rebuiltDigests(db, 'ledger');
      events = BigInt(sourceDigests.position);
    } finally {
      await db.close();
    }
  }, 180_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const admin = PgClient.connect(url!);
    for (const s of [schema, `${schema}_rm`, `${schema}_rm_check`, `${schema}_other`])
      await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.close();
    await POSTGRES.cleanup();
  });

  it('crashes inside a batch, keeps every batch before it, refuses the half-copied target, and resumes to the same log', async () => {
    const log = await openMigrationSource(from);
    try {
      expect(await log.headPosition()).toBe(events);
      // The crash: the 20th batch fails just before its COMMIT, as if the process died there.
      let batches = 0;
      const crashing = await openMigrationTarget(to, {
        beforeImportCommit: async (_batch: ImportBatch) => {
          if (++batches === 20) throw new Error('killed inside batch 20');
        },
      });
      const seen: MigrationState[] = [];
      await expect(
        runMigration({
          source: log,
          sourceDescription: `pglite:${dir}`,
          target: crashing,
          batchSize: 10,
          afterBatch: async (s) => void seen.push(s),
        }),
      ).rejects.toThrow('killed inside batch 20');
      await crashing.close();
      expect(seen).toHaveLength(19);
      expect(seen[18]).toMatchObject({ events: 190, sourcePosition: 190n, sourceHead: events, done: false });

      // What the target holds: the 19 batches committed, and the progress of the last.
      const target = await openMigrationTarget(to);
      expect(await target.migrationState()).toEqual(seen[18]);
      expect(await target.logDigest()).toEqual(await log.logDigest(190n));
      // Refused: to the ledger (its log is part of the source's), and to a run that does not say --resume.
      await expect(openLedgerStorage({ kind: 'postgres', url: url! }, schema)).rejects.toThrow(/unfinished migration from pglite:/);
      await expect(runMigration({ source: log, sourceDescription: `pglite:${dir}`, target, batchSize: 10 })).rejects.toThrow(
        /holds a migration from pglite:.* \(190 events through position 190 of \d+, 0 dedupe keys\): add --resume/,
      );
      // ...and to another source, whose log is not the one copied.
      const otherDb = await PgliteClient.open();
      const other = await SqlEventStore.open(otherDb, { ownsClient: false });
      await other.append([{ streamId: 'account-x', expectedVersion: 0, events: [{ type: 'AccountOpened', data: {} }] }]);
      await expect(runMigration({ source: other, sourceDescription: 'pglite:other', target, resume: true })).rejects.toThrow(
        /not pglite:other's through position 190 .*: not this migration's target/,
      );
      await otherDb.close();

      const lines: string[] = [];
      const done = await runMigration({
        source: log,
        sourceDescription: `pglite:${dir}`,
        target,
        resume: true,
        batchSize: 10,
        print: (l) => lines.push(l),
      });
      expect(lines[0]).toMatch(/^resuming a migration from pglite:/);
      expect(done.state).toMatchObject({ events: Number(events), sourcePosition: events, done: true, id: seen[0].id });
      expect(done.state.keys).toBeGreaterThan(100); // the usage records' dedupe keys
      expect(done.digest).toEqual(await log.logDigest());
      const again = await runMigration({ source: log, sourceDescription: `pglite:${dir}`, target, resume: true });
      expect(again.alreadyDone).toBe(true);
      await target.close();

      // The dedupe keys came along: the source's, each with its stream and position.
      const copied = await openLedgerStorage({ kind: 'postgres', url: url! }, schema);
      try {
        const store = copied.store as SqlEventStore;
        expect(await store.readDedupe(null, 100_000)).toEqual(await log.readDedupe(null, 100_000));
        expect(await verifyChain(store, chainChecksOf(store))).toMatchObject({
          ok: true,
          events: Number(events),
          digest: done.digest.digest,
        });
      } finally {
        await copied.close();
      }
    } finally {
      await log.close();
    }
  }, 180_000);

  it('gives the target the digests, balances and invoices of the source', async () => {
    expect(source.invoices.invoices.length).toBeGreaterThan(4);
    expect(sourceDigests.tables.entries.rows).toBeGreaterThan(100);
    expect(sourceDigests.tables.holds.rows).toBe(4);
    const db = PgClient.connect(url!);
    try {
      expect(await rebuiltDigests(db, schema)).toEqual(sourceDigests);
    } finally {
      await db.close();
    }
    const service = await startService(POSTGRES, schema, { LEDGER_PROCESS: 'false' });
    try {
      expect(await figures(service.http)).toEqual(source);
    } finally {
      await service.close();
    }
  }, 120_000);

  it('refuses a target that holds a log of its own', async () => {
    const other = `${schema}_other`;
    const db = PgClient.connect(url!);
    const store = await SqlEventStore.open(db, { schema: other, ownsClient: false });
    await store.append([{ streamId: 'account-y', expectedVersion: 0, events: [{ type: 'AccountOpened', data: {} }] }]);
    await db.close();
    const log = await openMigrationSource(from);
    const target = await openMigrationTarget(parseStoreDescription(`postgres:${url}#${other}`));
    try {
      const refused = runMigration({ source: log, sourceDescription: `pglite:${dir}`, target, resume: true });
      await expect(refused).rejects.toBeInstanceOf(MigrationRefused);
      await expect(refused).rejects.toThrow(/already holds events or dedupe keys and no migration of ours/);
    } finally {
      await target.close();
      await log.close();
    }
  });
};

if (url) describe('npm run migrate: the demo month from PGlite to PostgreSQL', body);
else describeSkipped('npm run migrate: the demo month from PGlite to PostgreSQL', 'DATABASE_URL not set', body);

// KurrentDB as the target: a fresh server (its log is shared by everything that writes to it).
const kurrentUrl = process.env.KURRENTDB_URL;
const toKurrent = () => {
  it('copies the demo month into an empty KurrentDB with the same digest at the head and an intact chain', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-migrate-k-'));
    try {
      const service = await startService(PGLITE, 'ledger', { LEDGER_DATA_DIR: dir });
      await playSampleMonth(service);
      await service.close();
      const log = await openMigrationSource(parseStoreDescription(`pglite:${dir}`));
      const target = KurrentDbEventStore.connect(kurrentUrl!);
      try {
        const done = await runMigration({ source: log, sourceDescription: `pglite:${dir}`, target, batchSize: 50 });
        expect(done.digest.digest).toBe((await log.logDigest())!.digest);
        expect(await verifyChain(target)).toMatchObject({ ok: true, digest: done.digest.digest });
      } finally {
        await target.close();
        await log.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
};
if (kurrentUrl) describe('npm run migrate: the demo month from PGlite to KurrentDB', toKurrent);
else
  describeSkipped(
    'npm run migrate: the demo month from PGlite to KurrentDB',
    'no KurrentDB server reachable (KURRENTDB_URL not set)',
    toKurrent,
  );
