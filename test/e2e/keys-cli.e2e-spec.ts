// The first admin key from the command line (npm run keys): printed once, usable by the service on
// the same store, listed without its secret, revoked from the command line too.
import { execFile } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import request from 'supertest';
import { startLedger } from './support';

const run = promisify(execFile);
const ROOT = join(__dirname, '../..');

const keys = (dir: string, ...args: string[]) =>
  run(process.execPath, ['-r', './deploy/register.js', 'apps/ledger/src/cli/keys.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, LEDGER_DATA_DIR: dir, DATABASE_URL: '', LEDGER_STORE: 'pglite' },
  });

describe('npm run keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates an admin key the service accepts, lists it without the secret, and revokes it', async () => {
    const created = await keys(dir, 'create', '--role', 'admin', '--name', 'ops');
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^lk_admin_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/issued key_\S+ \(admin, "ops"\): the key below is shown this once/);
    const listed = await keys(dir, 'list');
    expect(listed.stdout).toMatch(/key_\S+\tlk_admin_\S{6}\tadmin\t-\tactive\tops/);
    expect(listed.stdout + listed.stderr).not.toContain(secret);
    const keyId = /key_\S+/.exec(listed.stdout)![0];

    const ledger = await startLedger({ LEDGER_DATA_DIR: dir, LEDGER_PROCESS: 'false', LEDGER_ADMIN_KEY: '' });
    try {
      const http = () => request(ledger.app.getHttpServer());
      await http().post('/v1/accounts').set('Authorization', `Bearer ${secret}`).send({ accountId: 'acct_cli', name: 'CLI' }).expect(201);
      await http().post('/v1/accounts').send({ accountId: 'acct_cli2', name: 'CLI' }).expect(401);
    } finally {
      await ledger.close();
    }
    const revoked = await keys(dir, 'revoke', keyId);
    expect(revoked.stdout).toContain(`${keyId} revoked at`);
    expect((await keys(dir, 'list')).stdout).toContain('revoked');
  }, 60_000);

  it('refuses a bad role, naming the flag', async () => {
    await expect(keys(dir, 'create', '--role', 'root', '--name', 'x')).rejects.toMatchObject({
      stderr: expect.stringContaining('--role must be one of'),
    });
  }, 30_000);
});
