// Tamper evidence as auditors use it (README "Tamper evidence"): GET /v1/audit/digest gives the log's
// digest at a position (auditors and admin only) to publish; `npm run audit -- --verify-chain` finds
// the log intact, and names the event edited with plain SQL while the service was stopped.
import { execFile } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import request from 'supertest';
import { CHAIN_ALGORITHM, EVENT_STORE, EventStore, PgliteClient } from '@ledger/event-store';
import { Role } from '@ledger/domain';
import { asKey } from '../support/access';
import { Ledger, postEvents, proAccount, renderCompleted, SIMULATION_START, startLedger } from './support';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');

describe('GET /v1/audit/digest', () => {
  let ledger: Ledger;
  let store: EventStore;
  const keys = {} as Record<Exclude<Role, 'admin'>, string>;
  beforeAll(async () => {
    ledger = await startLedger({ LEDGER_PROCESS: 'false' });
    store = ledger.app.get<EventStore>(EVENT_STORE);
    await proAccount(ledger, 'acct_audit');
    await postEvents(ledger, [renderCompleted({ subject: 'acct_audit', time: SIMULATION_START, durationMs: 20_000 })]).expect(200);
    for (const role of ['auditor', 'finance', 'producer', 'metrics', 'account'] as const) {
      const res = await ledger.http
        .post('/v1/api-keys')
        .send({ role, name: `${role} key`, ...(role === 'account' ? { accountId: 'acct_audit' } : {}) })
        .expect(201);
      keys[role] = res.body.key;
    }
  });
  afterAll(() => ledger?.close());
  const as = (key: string) => asKey(ledger.app.getHttpServer(), key);

  it("gives auditors the log's digest at the head, and at a position, which stays what it was as the log grows", async () => {
    const head = await store.headPosition();
    const atHead = await as(keys.auditor).get('/v1/audit/digest').expect(200);
    expect(atHead.body).toEqual({
      position: String(head),
      digest: (await store.logDigest())!.digest,
      head: String(head),
      algorithm: CHAIN_ALGORITHM,
    });
    const at3 = await as(keys.auditor).get('/v1/audit/digest').query({ position: '3' }).expect(200);
    expect(at3.body).toMatchObject({ position: '3', digest: (await store.logDigest(3n))!.digest });

    await postEvents(ledger, [renderCompleted({ subject: 'acct_audit', time: SIMULATION_START, durationMs: 40_000 })]).expect(200);
    const later = await ledger.http.get('/v1/audit/digest').expect(200); // admin may too
    expect(BigInt(later.body.position)).toBeGreaterThan(head);
    expect(later.body.digest).not.toBe(atHead.body.digest);
    expect(
      (
        await as(keys.auditor)
          .get('/v1/audit/digest')
          .query({ position: String(head) })
      ).body,
    ).toMatchObject({
      position: String(head),
      digest: atHead.body.digest,
      head: later.body.head,
    });
    expect((await as(keys.auditor).get('/v1/audit/digest').query({ position: '0' })).body).toMatchObject({
      position: '0',
      digest: '0'.repeat(64),
    });
  });

  it('refuses a position that is no number (400) or after the head (404)', async () => {
    const bad = await as(keys.auditor).get('/v1/audit/digest').query({ position: 'head' });
    expect([bad.status, bad.body.error, bad.body.details[0].field]).toEqual([400, 'invalid', 'position']);
    const ahead = await as(keys.auditor).get('/v1/audit/digest').query({ position: '999999' });
    expect([ahead.status, ahead.body.error]).toEqual([404, 'position_not_found']);
  });

  it('answers 403 to every other role and 401 without a key', async () => {
    for (const role of ['finance', 'producer', 'metrics', 'account'] as const) {
      const res = await as(keys[role]).get('/v1/audit/digest');
      expect([role, res.status, res.body.error]).toEqual([role, 403, 'forbidden']);
    }
    expect((await request(ledger.app.getHttpServer()).get('/v1/audit/digest')).status).toBe(401);
  });
});

describe('npm run audit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-audit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const audit = (...args: string[]) =>
    run(process.execPath, ['-r', './deploy/register.js', 'apps/ledger/src/cli/audit.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, LEDGER_DATA_DIR: dir, DATABASE_URL: '', LEDGER_STORE: 'pglite' },
    });

  it('finds the log intact with the digest the service gives out, then names the event edited with SQL', async () => {
    const ledger = await startLedger({ LEDGER_DATA_DIR: dir, LEDGER_PROCESS: 'false' });
    let published: { position: string; digest: string };
    try {
      await proAccount(ledger, 'acct_cli');
      await postEvents(ledger, [renderCompleted({ subject: 'acct_cli', time: SIMULATION_START, durationMs: 20_000 })]).expect(200);
      published = (await ledger.http.get('/v1/audit/digest').expect(200)).body;
    } finally {
      await ledger.close();
    }
    const intact = await audit('--verify-chain', '--expect', `${published.position}=${published.digest}`);
    expect(intact.stdout).toContain('chain intact');
    expect(intact.stdout).toContain(`${published.position}\t${published.digest}\t${CHAIN_ALGORITHM}`);
    expect((await audit('--digest')).stdout.trim()).toBe(`${published.position}\t${published.digest}\t${CHAIN_ALGORITHM}`);

    const db = await PgliteClient.open(dir);
    const [edited] = await db.query<{ p: string; v: number }>(
      `UPDATE ledger.events SET data = jsonb_set(data, '{credits}', '"0"') WHERE global_position = (
         SELECT max(global_position) FROM ledger.events WHERE type = 'UsageCharged')
       RETURNING global_position::text AS p, stream_version AS v`,
    );
    await db.close();
    const broken = await audit('--verify-chain').then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(broken?.code).toBe(1);
    expect(broken?.stdout).toContain(
      `CHAIN BROKEN: stream account-acct_cli version ${edited.v} (global position ${edited.p}): its bytes do not match its hash`,
    );
  }, 90_000);
});
