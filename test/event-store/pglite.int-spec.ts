import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEventStore, PgliteClient, SqlEventStore } from '@ledger/event-store';
import { describeEventStoreConformance } from './conformance';
import { describeRecentWindow } from './recent-window';

// One PGlite per suite (starting one takes about a second); each test gets a fresh schema.
let schemas = 0;
const freshSchema = () => `t${++schemas}`;

let memory: PgliteClient | undefined;
describeEventStoreConformance('PGlite in memory', {
  async open({ beforeCommit }) {
    memory ??= await PgliteClient.open();
    return { store: await SqlEventStore.open(memory, { schema: freshSchema(), ownsClient: false, beforeCommit }) };
  },
  noRestart: 'an in-memory database ends with its process',
  cleanup: async () => memory?.close(),
});

let windowDb: PgliteClient | undefined;
describeRecentWindow('PGlite', () => {
  const schema = freshSchema();
  return async ({ recentEvents }) => {
    windowDb ??= await PgliteClient.open();
    return SqlEventStore.open(windowDb, { schema, ownsClient: false, recentEvents });
  };
});
afterAll(() => windowDb?.close());

const dataDir = mkdtempSync(join(tmpdir(), 'ledger-pglite-'));
let disk: PgliteClient | undefined;
describeEventStoreConformance('PGlite with a data directory', {
  async open({ beforeCommit }) {
    disk ??= await PgliteClient.open(dataDir);
    const schema = freshSchema();
    // recentEvents 0: every read goes to the database (the in-memory suite serves its own appends).
    const store = await SqlEventStore.open(disk, { schema, ownsClient: false, beforeCommit, recentEvents: 0 });
    const restart = async () => {
      await store.close();
      await disk!.close();
      disk = await PgliteClient.open(dataDir);
      return SqlEventStore.open(disk, { schema, ownsClient: false, beforeCommit, recentEvents: 0 });
    };
    return { store, restart };
  },
  cleanup: async () => {
    await disk?.close();
    rmSync(dataDir, { recursive: true, force: true });
  },
});

describe('openEventStore (PGlite)', () => {
  it('opens a persisted store in the default schema and reopens it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-open-'));
    try {
      const first = await openEventStore({ kind: 'pglite', dataDir: join(dir, 'db') });
      expect(first.schema).toBe('ledger');
      await first.append([{ streamId: 's', expectedVersion: 0, events: [{ type: 'T', data: { a: 1 } }] }]);
      await first.close();
      const again = await openEventStore({ kind: 'pglite', dataDir: join(dir, 'db') });
      expect((await again.readStream('s')).map((e) => e.data)).toEqual([{ a: 1 }]);
      expect(await again.headPosition()).toBe(1n);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openEventStore({ kind: 'pglite' }, 'x; DROP TABLE y')).rejects.toThrow('invalid schema name');
  });
});
