// The projector's fast reader (SqlLogReader: one text per page, charge fields extracted in the
// database) must hand over exactly what the event-store port reads, whatever is in the log.
import { SqlEventStore } from '@ledger/event-store';
import { chargeFields, LogEvent } from '@ledger/service/projections/finance-batch';
import { parsePage, SqlLogReader, StoreLogReader } from '@ledger/service/projections/log-reader';
import { eachDatabase, freshSchema, syntheticStore } from './support';

/** What a read model sees of an event: a charge's fields, or the data. */
const seen = (e: LogEvent) => ({
  position: e.position,
  streamId: e.streamId,
  type: e.type,
  ...(e.type === 'UsageCharged' ? { charge: e.charge ?? chargeFields(e.data!) } : { data: e.data }),
});

const readAll = async (reader: SqlLogReader | StoreLogReader, page: number) => {
  const out: LogEvent[] = [];
  for (let after = 0n; ;) {
    const got = await reader.read(after, page);
    if (got.length === 0) return out;
    out.push(...got);
    after = got[got.length - 1].position;
  }
};

eachDatabase('the SQL log reader', (target) => {
  it('reads what the store reads: charges (with and without a period) and every other event, odd stream ids and types included', async () => {
    // given a log of account histories, then events on streams and of types with tabs, newlines, quotes and backslashes in them
    const db = await target.client();
    const schema = freshSchema();
    const store: SqlEventStore = await syntheticStore(db, schema, 3000, 5);
    const odd = ['tab\there', 'line\nbreak', 'quote"and\\backslash', 'é ☃ \u0001'];
    await store.append(
      odd.map((name, i) => ({
        streamId: `other-${name}`,
        expectedVersion: 'any' as const,
        events: [{ type: `Odd${name}`, data: { name, n: i, nested: { list: [name, null, 1.5] } } }],
      })),
    );
    // and a charge outside any period (usage with no plan: all of it uncovered), as the codec stores it
    const at = '2026-01-02T00:00:00.000Z';
    await store.append([
      {
        streamId: 'account-noplan',
        expectedVersion: 'any',
        events: [
          {
            type: 'UsageCharged',
            data: {
              wallet: 'api',
              periodId: null,
              at,
              flags: [],
              draws: [],
              overage: '0',
              uncovered: '1000000',
              usage: { ref: { source: 's', id: 'e1' }, kind: 'avatar_video.unlimited', at, durationMs: 30000, jobId: 'j1' },
              priced: { credits: '1000000', units: 1, unit: 'block30' },
            },
          },
        ],
      },
    ]);

    // when both readers read it all, in pages of different sizes
    const fast = await readAll(new SqlLogReader(db, schema), 700);
    const port = await readAll(new StoreLogReader(store), 1000);

    // then they hand over the same events
    expect(fast.length).toBe(port.length);
    expect(fast.map(seen)).toEqual(port.map(seen));
    expect(fast.filter((e) => e.type === 'UsageCharged').length).toBeGreaterThan(100);
    expect(fast.some((e) => e.type === 'UsageCharged' && e.charge!.periodId === null)).toBe(true);
    expect(fast.slice(-odd.length - 1, -1).map((e) => e.streamId)).toEqual(odd.map((n) => `other-${n}`));
  });
});

describe('a page of the log', () => {
  it('is refused, not misread, when a charge line does not have its fields', () => {
    const line = [
      '1',
      '"account-a"',
      'UsageCharged',
      'api',
      'p1',
      '2026-01-01T00:00:00.000Z',
      'avatar_video.unlimited',
      '30000',
      '1000000',
      '0',
      '0',
    ].join('\t');
    expect(() => parsePage({ text: line, after: '0', count: 1, last: '1', contiguous: true })).toThrow(
      'a UsageCharged line with 11 fields',
    );
  });
});
