// The SQL store serves readAll of its own latest appends from memory (recentEvents). What it
// serves must be exactly what a reader in another process gets from the database, including
// around another writer's appends, which it does not hold.
import { SqlEventStore, StreamAppend } from '@ledger/event-store';

/** Stores on one fresh log (a schema of their own). */
type OpenStore = (options: { recentEvents: number }) => Promise<SqlEventStore>;
type NewLog = () => OpenStore;

const charge = (i: number): StreamAppend => ({
  streamId: `account-a${i % 3}`,
  expectedVersion: 'any',
  events: [
    {
      type: 'UsageCharged',
      data: {
        credits: `${i}500000`,
        draws: [{ lotId: `lot-${i}`, credits: '1' }],
        periodId: i % 2 ? null : 'p1',
        note: 'é ☃ "q" \\ \n',
        nested: { n: i, f: 0.5, t: true },
      },
      metadata: { via: 'kafka', topic: 'usage.renders', partition: i % 6, offset: String(i) },
    },
    { type: 'Noted', data: {} },
  ],
  dedupe: [{ key: `["src","e${i}"]`, fingerprint: `f${i}` }],
});

export function describeRecentWindow(name: string, newLog: NewLog | string): void {
  const d = typeof newLog === 'string' ? describe.skip : describe;
  d(`${name}: readAll of the writer's own recent appends${typeof newLog === 'string' ? ` (skipped, ${newLog})` : ''}`, () => {
    it('serves from memory exactly what another reader reads from the database, around another writer', async () => {
      const open = (newLog as NewLog)();
      // given a writer that keeps its appends, another writer on the same log, and a reader that keeps nothing
      const writer = await open({ recentEvents: 1000 });
      const other = await open({ recentEvents: 0 });
      const reader = await open({ recentEvents: 0 });
      try {
        // when both write, interleaved
        for (let i = 0; i < 12; i++) await (i % 4 === 3 ? other : writer).append([charge(i)]);

        // then every page the writer serves is the start of the database's page, from every
        // starting point: never empty when there is more, never anything else (it stops where the
        // other writer's events begin, which it then reads from the database)
        const all = await reader.readAll(0n, 1000);
        expect(all).toHaveLength(24);
        for (let from = 0; from <= all.length; from++) {
          for (const max of [1, 3, 100]) {
            const fromWriter = await writer.readAll(BigInt(from), max);
            const fromDb = await reader.readAll(BigInt(from), max);
            expect(fromWriter.length > 0).toBe(fromDb.length > 0);
            expect(fromWriter).toEqual(fromDb.slice(0, fromWriter.length));
          }
        }
        const paged = [];
        for (let page = await writer.readAll(0n, 5); page.length > 0; page = await writer.readAll(page[page.length - 1].globalPosition, 5))
          paged.push(...page);
        expect(paged).toEqual(all);
        // and the other writer's events (not held in the writer's memory) are among them
        expect(all.filter((e) => e.metadata.offset === '3')).toHaveLength(1);
      } finally {
        for (const s of [writer, other, reader]) await s.close();
      }
    });

    it('forgets the oldest appends beyond its window and reads them from the database', async () => {
      const store = await (newLog as NewLog)()({ recentEvents: 4 });
      try {
        for (let i = 0; i < 6; i++) await store.append([charge(i)]);
        expect(store.recentAfter(0n, 100)).toEqual([]);
        expect(store.recentAfter(8n, 100).map((e) => e.globalPosition)).toEqual([9n, 10n, 11n, 12n]);
        expect((await store.readAll(0n, 100)).map((e) => e.globalPosition)).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i + 1)));
      } finally {
        await store.close();
      }
    });
  });
}
