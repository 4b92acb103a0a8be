// The service keeps everything in its store: after a restart on the same data directory the
// balances are the same and events already recorded are still recognised (durable dedupe).
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  balances,
  entries,
  Ledger,
  moveClock,
  postEvents,
  postNdjson,
  proAccount,
  renderCompleted,
  startLedger,
  streamingEnded,
  withField,
} from './support';

let dir: string;
let ledger: Ledger | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-e2e-'));
});
afterAll(async () => {
  await ledger?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a restart on the same data directory', () => {
  it('keeps balances, entries and invoices, and recognises events already recorded', async () => {
    // given a ledger persisted to `dir`, with usage recorded over two days
    ledger = await startLedger({ LEDGER_DATA_DIR: dir });
    await proAccount(ledger, 'acct_durable');
    await moveClock(ledger, '2026-01-03T00:00:00Z');
    const events = [
      renderCompleted({ subject: 'acct_durable', time: '2026-01-02T10:00:00Z', durationMs: 103_000 }), // 2
      streamingEnded({ subject: 'acct_durable', time: '2026-01-02T11:00:00Z', durationMs: 7.5 * 60_000 }), // 1.5
      renderCompleted({ subject: 'acct_durable', time: '2026-01-02T23:59:00Z', durationMs: 45_000, engine: 'avatar_iv' }), // 6
    ];
    const first = await postEvents(ledger, events);
    expect(first.body.results.map((r: any) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const balanceBefore = await balances(ledger, 'acct_durable');
    const historyBefore = await balances(ledger, 'acct_durable', '2026-01-02T10:30:00Z');
    const entriesBefore = await entries(ledger, 'acct_durable');
    const invoicesBefore = (await ledger.http.get('/v1/invoices').query({ accountId: 'acct_durable' })).body;
    expect(balanceBefore.wallets.api.available).toBe('90.5');

    // when the service stops and a new one starts on the same directory, at the same instant
    await ledger.close();
    ledger = undefined;
    ledger = await startLedger({ LEDGER_DATA_DIR: dir, LEDGER_SIMULATION_START: '2026-01-03T00:00:00Z' });

    // then what was recorded is all there
    expect(await balances(ledger, 'acct_durable')).toEqual(balanceBefore);
    expect(await balances(ledger, 'acct_durable', '2026-01-02T10:30:00Z')).toEqual(historyBefore);
    expect(await entries(ledger, 'acct_durable')).toEqual(entriesBefore);
    expect((await ledger.http.get('/v1/invoices').query({ accountId: 'acct_durable' })).body).toEqual(invoicesBefore);

    // and the same events sent again, by either way in, are duplicates, charged once
    const again = await postEvents(ledger, events);
    expect(again.status).toBe(200);
    expect(again.body.results.map((r: any) => [r.id, r.status])).toEqual(events.map((e) => [e.id, 'duplicate']));
    const line = await postNdjson(ledger, [events[0]]);
    expect(line.body.results.map((r: any) => r.status)).toEqual(['duplicate']);
    // and one of them with another body is still a conflict
    const changed = await postEvents(ledger, [withField(events[1], 'data.integration', 'live_avatar_full')]);
    expect(changed.status).toBe(409);
    expect(changed.body.results[0].errors[0].code).toBe('conflict');
    expect(await balances(ledger, 'acct_durable')).toEqual(balanceBefore);
    expect(await entries(ledger, 'acct_durable')).toEqual(entriesBefore);

    // and the restarted clock still records the expiry due on 31 January
    await moveClock(ledger, '2026-01-31T00:00:00Z');
    const expired = (await entries(ledger, 'acct_durable')).filter((e) => e.kind === 'expiry');
    expect(expired.map((e) => [e.credits, e.at])).toEqual([['-90.5', '2026-01-31T00:00:00.000Z']]);
  });
});
