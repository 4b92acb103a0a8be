// The audit replay: after the sample month (the demo's four accounts, played over HTTP day by
// day, with holds captured, released, expired and open), a rebuild from the log is identical to
// the live read models, table by table (the holds the live projector updated batch by batch, the
// rebuild wrote at once); a live row
// changed by hand is reported, with the row; --switch puts the rebuilt read models live, and the
// projector goes on from there.
import { spawnSync } from 'child_process';
import { join } from 'path';
import { SqlLogReader } from '@ledger/service/projections/log-reader';
import { EXIT_BEHIND, rebuildReadModels, runReplay } from '@ledger/service/projections/replay';
import { DATABASE_URL, eachDatabase, freshSchema, playSampleMonth, Service, startService } from './support';

eachDatabase('the audit replay after the sample month', (target) => {
  let service: Service;
  let schema: string;
  const lines: string[] = [];
  const replay = (options: { verify?: boolean; switch?: boolean }) =>
    runReplay({
      db: service.db,
      reader: new SqlLogReader(service.db, schema),
      ledgerSchema: schema,
      ...options,
      print: (l) => lines.push(l),
    });

  beforeAll(async () => {
    schema = freshSchema('svc');
    service = await startService(target, schema);
    await playSampleMonth(service, { holds: true });
  }, 120_000);
  afterAll(() => service?.close());
  beforeEach(() => lines.splice(0));

  it('verifies: every table identical to a rebuild from the log', async () => {
    await service.http.get('/v1/invoices').expect(200); // the live read models have caught up
    const outcome = await replay({ verify: true });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.comparison!.identical).toBe(true);
    expect(outcome.comparison!.tables.map((t) => [t.table, t.same])).toEqual([
      ['accounts', true],
      ['balances', true],
      ['lots', true],
      ['holds', true],
      ['entries', true],
      ['usage_daily', true],
      ['usage_monthly', true],
      ['periods', true],
      ['invoices', true],
      ['invoice_lines', true],
    ]);
    const entries = outcome.comparison!.tables.find((t) => t.table === 'entries')!;
    expect(entries.liveRows).toBeGreaterThan(100);
    const holds = await service.db.query<{ hold_key: string; status: string; ended_at: Date | string | null }>(
      `SELECT hold_key, status, ended_at FROM ${schema}_rm.holds ORDER BY hold_key`,
    );
    expect(holds.map((h) => [h.hold_key, h.status, h.ended_at !== null])).toEqual([
      ['job_sample_expiring', 'expired', true],
      ['job_sample_failed', 'released', true],
      ['job_sample_held', 'captured', true],
      ['sess_sample_open', 'held', false],
    ]);
    expect(lines.join('\n')).toContain('IDENTICAL');
    // the rebuilt schema is gone again (no --switch, no --keep)
    expect(await service.db.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [`${schema}_rm_replay`])).toEqual([]);
  });

  it('reports a live row changed by hand: the table, its digest, the row on both sides; exit code 1', async () => {
    await service.db.query(`UPDATE ${schema}_rm.balances SET charged = charged + 1 WHERE account_id = 'acct_pro' AND wallet = 'api'`);
    await service.db.query(`UPDATE ${schema}_rm.holds SET status = 'held', ended_at = NULL WHERE hold_key = 'job_sample_held'`);
    await service.db.query(
      `DELETE FROM ${schema}_rm.entries WHERE position = (SELECT max(position) FROM ${schema}_rm.entries WHERE account_id = 'acct_live')`,
    );
    const outcome = await replay({ verify: true });
    expect(outcome.exitCode).toBe(1);
    const c = outcome.comparison!;
    expect(c.identical).toBe(false);
    expect(c.tables.filter((t) => !t.same).map((t) => t.table)).toEqual(['balances', 'holds', 'entries']);
    const [hold] = c.tables.find((t) => t.table === 'holds')!.differences;
    expect(hold.key).toEqual({ account_id: 'acct_pro', hold_id: expect.any(String) });
    expect([hold.live!.status, hold.rebuilt!.status]).toEqual(['held', 'captured']);
    const balances = c.tables.find((t) => t.table === 'balances')!;
    expect(balances.differences).toHaveLength(1);
    const [d] = balances.differences;
    expect(d.key).toEqual({ account_id: 'acct_pro', wallet: 'api' });
    expect(BigInt(d.live!.charged as number) - BigInt(d.rebuilt!.charged as number)).toBe(1n);
    expect(BigInt(d.live!.available as number) - BigInt(d.rebuilt!.available as number)).toBe(-1n);
    const missing = c.tables.find((t) => t.table === 'entries')!.differences;
    expect(missing.length).toBeGreaterThan(0);
    expect(missing[0].live).toBeNull(); // the entry the live side lost
    expect(missing[0].rebuilt).toMatchObject({ account_id: 'acct_live' });
    const report = lines.join('\n');
    expect(report).toMatch(/balances\s+DIFFERENT/);
    expect(report).toContain('"account_id":"acct_pro"');
    expect(report).toContain('DIFFERENT: the live read models do not match');
  });

  it('--switch makes the rebuilt read models live; the projector goes on from them', async () => {
    const outcome = await replay({ switch: true });
    expect(outcome.switched).toBe(true);
    expect((await replay({ verify: true })).exitCode).toBe(0);
    // New events after the switch reach the (new) live read models.
    await service.http.put('/v1/simulation/clock').send({ now: '2026-02-02T12:00:00.000Z' }).expect(200);
    const event = {
      specversion: '1.0',
      id: 'after-switch-1',
      source: 'renderer/eu-west-1',
      type: 'render.completed',
      time: '2026-02-02T11:00:00.000Z',
      subject: 'acct_pro',
      data: { jobId: 'j-after', product: 'avatar_video', engine: 'unlimited', durationMs: 45_000, resolution: '1080p', watermarked: false },
    };
    await service.http.post('/v1/events').send([event]).expect(200);
    const res = await service.http.get('/v1/accounts/acct_pro/entries').query({ kind: 'charge', from: '2026-02-01T00:00:00Z' }).expect(200);
    expect(res.body.entries.map((e: any) => e.usage.id)).toEqual(['after-switch-1']);
    expect((await replay({ verify: true })).exitCode).toBe(0);
  });
});

eachDatabase('the audit replay when the live read models are behind', (target) => {
  it('compares at the live position: identical there, and says how far behind the head, exit code 3 (not 1)', async () => {
    const schema = freshSchema('behind');
    // No projector in the service: the live read models are built here up to a position short of the head.
    const service = await startService(target, schema, { LEDGER_PROJECTOR: 'off' });
    try {
      await playSampleMonth(service);
      const reader = new SqlLogReader(service.db, schema);
      const head = await reader.head();
      await rebuildReadModels({ db: service.db, reader, schema: `${schema}_rm`, ledgerSchema: schema, upTo: head - 7n });
      const lines: string[] = [];
      const outcome = await runReplay({ db: service.db, reader, ledgerSchema: schema, verify: true, print: (l) => lines.push(l) });
      expect(outcome.comparison!.identical).toBe(true);
      expect(outcome.comparison!.live.position).toBe(head - 7n);
      expect(outcome.behindBy).toBe(7n);
      expect(outcome.exitCode).toBe(EXIT_BEHIND);
      expect(lines.join('\n')).toContain('BEHIND: identical at position');
      expect(lines.join('\n')).not.toContain('DIFFERENT');
      // Changed by hand while behind: different, exit 1, whatever the lag.
      await service.db.query(`UPDATE ${schema}_rm.balances SET charged = charged + 1 WHERE account_id = 'acct_pro' AND wallet = 'api'`);
      const changed = await runReplay({ db: service.db, reader, ledgerSchema: schema, verify: true });
      expect(changed.exitCode).toBe(1);
    } finally {
      await service.close();
    }
  }, 120_000);
});

// `npm run replay` itself, against a service's database on the PostgreSQL server.
(DATABASE_URL ? describe : describe.skip)(
  `npm run replay -- --verify (PostgreSQL)${DATABASE_URL ? '' : ': skipped, DATABASE_URL not set'}`,
  () => {
    it('exits 0 when identical, 1 with a report when a live row was changed', async () => {
      const { POSTGRES } = await import('./support');
      const schema = freshSchema('svc');
      const service = await startService(POSTGRES, schema);
      try {
        await playSampleMonth(service, { holds: true });
        await service.http.get('/v1/invoices').expect(200);
        const run = () =>
          spawnSync(process.execPath, ['-r', './deploy/register.js', 'apps/projector/src/replay.ts', '--verify'], {
            cwd: join(__dirname, '..', '..'),
            encoding: 'utf8',
            env: { ...process.env, DATABASE_URL: DATABASE_URL!, LEDGER_SCHEMA: schema },
          });
        const ok = run();
        expect(ok.status).toBe(0);
        expect(ok.stdout).toContain('IDENTICAL');
        await service.db.query(
          `UPDATE ${schema}_rm.invoice_lines SET amount_cents = amount_cents + 1 WHERE number = 'INV-acct_live-0002' AND line_no = 1`,
        );
        const bad = run();
        expect(bad.status).toBe(1);
        expect(bad.stdout).toMatch(/invoice_lines\s+DIFFERENT/);
        expect(bad.stdout).toContain('INV-acct_live-0002');
      } finally {
        await service.close();
        await POSTGRES.cleanup();
      }
    }, 120_000);
  },
);
