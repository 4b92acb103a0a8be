// The usage path's histograms count what happened: one HTTP batch, its appends, and a lag
// observation per accepted event only (a rejected or duplicate event was not charged).
import { openAccount, renderCompleted } from '../e2e/support';
import { configWith, startObserved } from './support';

const sample = (text: string, name: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.split(' ')[1]);
};

describe('the histograms of the usage path', () => {
  it('observe each HTTP batch once, each append, and the lag of each accepted event', async () => {
    const l = await startObserved(configWith({ LEDGER_LOG_LEVEL: 'silent', LEDGER_PROCESS: 'false' }));
    try {
      await openAccount(l, 'acct_hist');
      const appendsBefore = sample((await l.http.get('/metrics')).text, 'ledger_store_append_duration_seconds_count');
      const first = renderCompleted({ subject: 'acct_hist', time: '2026-01-01T00:00:30Z', durationMs: 30_000 });
      const second = renderCompleted({ subject: 'acct_hist', time: '2026-01-01T00:00:40Z', durationMs: 30_000 });
      const batch = [first, second, { specversion: '1.0', id: 'bad', source: 's', type: 'render.completed', subject: 'acct_hist' }];
      await l.http.post('/v1/events').send(batch).expect(400); // two recorded, one rejected
      await l.http.post('/v1/events').send([first]).expect(200); // a duplicate
      const text = (await l.http.get('/metrics').expect(200)).text;
      expect(sample(text, 'ledger_ingest_batch_duration_seconds_count{source="http"}')).toBe(2);
      expect(sample(text, 'ledger_event_to_balance_lag_seconds_count')).toBe(2);
      expect(sample(text, 'ledger_event_to_balance_lag_seconds_sum')).toBeGreaterThan(0);
      expect(sample(text, 'ledger_store_append_duration_seconds_count')).toBe(appendsBefore + 1); // the duplicate appends nothing
    } finally {
      await l.close();
    }
  });
});
