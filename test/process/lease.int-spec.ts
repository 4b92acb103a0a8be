// Leases: one holder at a time, renewed while alive, taken over after a crash (expiry) or at
// once after a release; and the service's background jobs held by one running copy each.
import { LEDGER_DATABASE, SqlClient } from '@ledger/event-store';
import { LEDGER_SCHEMA } from '@ledger/service/store/store-config';
import { Lease } from '@ledger/service/kit/lease';
import { describeEachBackend, eventually, Ledger, Place, sleep, startLedger } from './support';

describeEachBackend('leases', (backend) => {
  let place: Place;
  const ledgers: Ledger[] = [];
  beforeEach(() => {
    place = backend.place();
  });
  afterEach(async () => {
    for (const l of ledgers.splice(0)) await l.close();
    await place.cleanup();
  });
  const start = async (env: Record<string, string> = {}) => {
    const l = await startLedger(place, env);
    ledgers.push(l);
    return l;
  };

  it('one holder at a time; renewals keep it; expiry or release hands it over', async () => {
    const l = await start({ LEDGER_PROCESS: 'false' });
    const db = l.app.get<SqlClient>(LEDGER_DATABASE);
    const schema = l.app.get<string>(LEDGER_SCHEMA);
    const a = new Lease(db, schema, 'job', 'a', 400);
    const b = new Lease(db, schema, 'job', 'b', 400);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    const token = a.token;
    // a renews within its lifetime: b still cannot take it
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);
    }
    expect(a.token).toBe(token);
    // a stops renewing (its process died): after the lifetime, b takes it, with a new token
    await sleep(450);
    expect(a.held).toBe(false); // a knows it may no longer act
    expect(await b.acquire()).toBe(true);
    expect(b.token).toBe(token + 1);
    expect(await a.acquire()).toBe(false);
    // b releases at shutdown: a takes it at once
    await b.release();
    expect(await a.acquire()).toBe(true);
    expect(b.held).toBe(false);
  });

  (backend.name === 'postgres' ? it : it.skip)(
    backend.name === 'postgres'
      ? 'two service instances: each job held by one; the survivor takes over'
      : 'two service instances: skipped, PGlite is one process',
    async () => {
      const env = { LEDGER_PROCESS_LEASE_MS: '600', LEDGER_PROCESS_SHARDS: '3', LEDGER_PROCESS_POLL_MS: '20' };
      const a = await start({ ...env, LEDGER_INSTANCE_ID: 'a' });
      const b = await start({ ...env, LEDGER_INSTANCE_ID: 'b' });
      const jobs = ['projections', 'deadlines-0-of-3', 'deadlines-1-of-3', 'deadlines-2-of-3'];
      await eventually(async () => [...a.runner.leasesHeld, ...b.runner.leasesHeld].length === jobs.length, 'every job held');
      for (let i = 0; i < 20; i++) {
        const held = [...a.runner.leasesHeld, ...b.runner.leasesHeld];
        expect(new Set(held).size).toBe(held.length); // never by both
        await sleep(50);
      }
      // a stops (its leases released): b holds everything
      await a.close();
      await eventually(async () => b.runner.leasesHeld.length === jobs.length, 'b holds every job');
      expect(b.runner.leasesHeld.sort()).toEqual([...jobs].sort());
    },
  );
});
