// Accounts, plans, "may this run?" and the OpenAPI document, over HTTP on a running service.
import { available, balances, entries, Ledger, openAccount, postEvents, proAccount, renderCompleted, startLedger } from './support';

let ledger: Ledger;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(() => ledger?.close());

describe('POST /v1/accounts', () => {
  it('creates an account on api_free (201), and answers 200 to the same body again', async () => {
    // when
    const created = await ledger.http.post('/v1/accounts').send({ accountId: 'acct_open', name: 'Acme Ltd' });
    // then
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ accountId: 'acct_open', name: 'Acme Ltd', plan: 'api_free' });
    const b = await balances(ledger, 'acct_open');
    expect(b.wallets.api).toMatchObject({ plan: 'api_free', available: '10' });

    // when the same body comes again
    const again = await ledger.http.post('/v1/accounts').send({ accountId: 'acct_open', name: 'Acme Ltd' });
    // then nothing new happened
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ accountId: 'acct_open', name: 'Acme Ltd' });
    expect(await available(ledger, 'acct_open')).toBe('10');
  });

  it('refuses the same id with another name: 409', async () => {
    await openAccount(ledger, 'acct_named', 'First Name');
    const res = await ledger.http.post('/v1/accounts').send({ accountId: 'acct_named', name: 'Other Name' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: 'account_exists' });
    expect(typeof res.body.message).toBe('string');
  });

  it('refuses a body without a name: 400 naming the field', async () => {
    const res = await ledger.http.post('/v1/accounts').send({ accountId: 'acct_noname' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid');
    expect(res.body.details.map((d: any) => d.field)).toContain('name');
  });
});

describe('plans', () => {
  it('starts api_pro: 201, 100 credits, the free grant forfeited, the $99 invoice issued', async () => {
    // given
    await openAccount(ledger, 'acct_plan');
    // when
    const res = await ledger.http.post('/v1/accounts/acct_plan/plans').send({ plan: 'api_pro' });
    // then
    expect(res.status).toBe(201);
    const b = await balances(ledger, 'acct_plan');
    expect(b.wallets.api.plan).toBe('api_pro');
    expect(b.wallets.api.available).toBe('100');
    expect(b.wallets.api.lots.map((l) => [l.granted, l.remaining])).toEqual([['100', '100']]);
    const kinds = (await entries(ledger, 'acct_plan')).map((e) => [e.kind, e.credits, e.provenance.command]);
    expect(kinds).toEqual([
      ['grant', '10', 'OpenAccount'],
      ['forfeit', '-10', 'StartPlan'],
      ['grant', '100', 'StartPlan'],
    ]);
    const inv = await ledger.http.get('/v1/invoices').query({ accountId: 'acct_plan' });
    expect(inv.body.invoices.map((i: any) => [i.kind, i.plan, i.totalCents])).toEqual([['plan', 'api_pro', 9900]]);
  });

  it('refuses a second paid plan on the same wallet: 409', async () => {
    await proAccount(ledger, 'acct_two');
    const res = await ledger.http.post('/v1/accounts/acct_two/plans').send({ plan: 'api_scale' });
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('plan_active');
    expect(await available(ledger, 'acct_two')).toBe('100');
  });

  it('refuses an unknown plan: 400 naming `plan`', async () => {
    await openAccount(ledger, 'acct_unknown_plan');
    const res = await ledger.http.post('/v1/accounts/acct_unknown_plan/plans').send({ plan: 'api_platinum' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid');
    expect(res.body.details.map((d: any) => d.field)).toEqual(['plan']);
    expect((await balances(ledger, 'acct_unknown_plan')).wallets.api.plan).toBe('api_free');
  });

  it('refuses auto-renew on api_pro: 400 naming `autoRenew`, and starts nothing', async () => {
    await openAccount(ledger, 'acct_autorenew');
    const res = await ledger.http.post('/v1/accounts/acct_autorenew/plans').send({ plan: 'api_pro', autoRenew: true });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('auto_renew_not_allowed');
    expect(res.body.details.map((d: any) => d.field)).toEqual(['autoRenew']);
    expect((await balances(ledger, 'acct_autorenew')).wallets.api).toMatchObject({ plan: 'api_free', available: '10' });
  });

  it('refuses a plan for an unknown account: 404', async () => {
    const res = await ledger.http.post('/v1/accounts/acct_nobody/plans').send({ plan: 'api_pro' });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('account_not_found');
  });

  it('cancels a plan: back on api_free, the Pro credits kept, and a new paid plan may start', async () => {
    // given
    await proAccount(ledger, 'acct_cancel');
    // when
    const res = await ledger.http.post('/v1/accounts/acct_cancel/plans/api/cancel');
    // then
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accountId: 'acct_cancel', wallet: 'api', cancelled: true });
    const b = await balances(ledger, 'acct_cancel');
    expect(b.wallets.api.plan).toBe('api_free');
    expect(b.wallets.api.available).toBe('110'); // 100 of Pro until they expire + 10 free
    // and cancelling again finds no paid plan
    const again = await ledger.http.post('/v1/accounts/acct_cancel/plans/api/cancel');
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('no_plan');
    // and a new paid plan may start at once
    const restart = await ledger.http.post('/v1/accounts/acct_cancel/plans').send({ plan: 'api_scale' });
    expect(restart.status).toBe(201);
    expect(await available(ledger, 'acct_cancel')).toBe('760'); // 100 Pro + 660 Scale; the free 10 forfeited
  });

  it('changes plan settings: overage may be switched on for api_pro, auto-renew may not', async () => {
    await proAccount(ledger, 'acct_settings');
    const ok = await ledger.http.patch('/v1/accounts/acct_settings/plans/api').send({ allowOverage: true });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ accountId: 'acct_settings', wallet: 'api', allowOverage: true });
    const no = await ledger.http.patch('/v1/accounts/acct_settings/plans/api').send({ autoRenew: true });
    expect(no.status).toBe(400);
    expect(no.body.details.map((d: any) => d.field)).toEqual(['autoRenew']);
  });

  it('refuses an unknown wallet in the path: 400', async () => {
    await openAccount(ledger, 'acct_wallet');
    const res = await ledger.http.post('/v1/accounts/acct_wallet/plans/video/cancel');
    expect(res.status).toBe(400);
  });
});

describe('POST /v1/authorizations', () => {
  it('does not allow a translation on api_pro: feature_not_in_plan', async () => {
    await proAccount(ledger, 'acct_authz');
    const res = await ledger.http
      .post('/v1/authorizations')
      .send({ accountId: 'acct_authz', product: 'video_translation', estimatedDurationMs: 60_000 });
    expect(res.status).toBe(200);
    expect(res.body.allowed).toBe(false);
    expect(res.body.reasons).toEqual(['feature_not_in_plan']);
  });

  it('allows a 1:43 unlimited video on api_pro, estimating 2 credits', async () => {
    await proAccount(ledger, 'acct_authz_ok');
    const res = await ledger.http.post('/v1/authorizations').send({
      accountId: 'acct_authz_ok',
      product: 'avatar_video',
      engine: 'unlimited',
      resolution: '1080p',
      estimatedDurationMs: 103_000,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ allowed: true, reasons: [], estimatedCredits: '2', available: '100' });
  });

  it('does not allow 4K or a 4-minute video on api_free', async () => {
    await openAccount(ledger, 'acct_authz_free');
    const res = await ledger.http
      .post('/v1/authorizations')
      .send({ accountId: 'acct_authz_free', product: 'avatar_video', engine: 'unlimited', resolution: '4k', estimatedDurationMs: 240_000 });
    expect(res.body.allowed).toBe(false);
    expect(res.body.reasons).toEqual(expect.arrayContaining(['video_too_long', 'resolution_above_plan']));
  });

  it('does not allow new usage once the wallet is exhausted (overage off); the usage itself was recorded as uncovered', async () => {
    // given a Pro account that used 183 credits (30 minutes of Avatar IV) of its 100
    await proAccount(ledger, 'acct_exhausted');
    const now = (await ledger.http.get('/v1/simulation/clock')).body.now;
    const usage = renderCompleted({ subject: 'acct_exhausted', time: now, durationMs: 1_800_000, engine: 'avatar_iv' });
    expect((await postEvents(ledger, [usage])).body.results[0].status).toBe('accepted');
    expect((await balances(ledger, 'acct_exhausted')).wallets.api).toMatchObject({ available: '0', uncovered: '83', exhausted: true });
    // when
    const res = await ledger.http
      .post('/v1/authorizations')
      .send({ accountId: 'acct_exhausted', integration: 'api', estimatedDurationMs: 60_000 });
    // then
    expect(res.body).toMatchObject({ allowed: false, reasons: ['wallet_exhausted'] });
  });

  it('answers 404 for an unknown account', async () => {
    const res = await ledger.http
      .post('/v1/authorizations')
      .send({ accountId: 'acct_ghost', integration: 'api', estimatedDurationMs: 1000 });
    expect(res.status).toBe(404);
  });
});

describe('GET /docs/json', () => {
  it('serves the OpenAPI document, with POST /v1/events in it', async () => {
    const res = await ledger.http.get('/docs/json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(res.body.paths['/v1/events']).toHaveProperty('post');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/accounts',
        '/v1/accounts/{id}/balances',
        '/v1/accounts/{id}/entries',
        '/v1/invoices',
        '/v1/invoices/{number}',
        '/v1/authorizations',
        '/v1/simulation/clock',
      ]),
    );
  });
});
