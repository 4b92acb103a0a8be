import { PgliteClient, RecordedEvent, runSubscription, SqlEventStore } from '@ledger/event-store';

let client: PgliteClient;
let store: SqlEventStore;
let schemas = 0;

beforeAll(async () => {
  client = await PgliteClient.open();
});
afterAll(() => client.close());
beforeEach(async () => {
  store = await SqlEventStore.open(client, { schema: `sub${++schemas}`, ownsClient: false });
});

const add = (streamId: string, n: number) =>
  store.append([{ streamId, expectedVersion: 'any', events: Array.from({ length: n }, (_, i) => ({ type: 'T', data: { i } })) }]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runSubscription', () => {
  it('hands over every event in order, in batches, and checkpoints after each batch', async () => {
    await add('a', 7);
    const batches: RecordedEvent[][] = [];
    const sub = runSubscription({ store, name: 'p', batchSize: 3, pollIntervalMs: 5, handle: (events) => void batches.push(events) });
    await sub.catchUp();
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(sub.position).toBe(7n);
    expect(await store.loadCheckpoint('p')).toBe(7n);

    await add('b', 2); // arrives while caught up: picked up by polling
    await sub.catchUp();
    expect(batches.flat().map((e) => e.globalPosition)).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
    await sub.stop();
    await expect(sub.done).resolves.toBeUndefined();
  });

  it('resumes from the stored checkpoint', async () => {
    await add('a', 4);
    await store.storeCheckpoint('p', 2n);
    const seen: bigint[] = [];
    const sub = runSubscription({ store, name: 'p', handle: (events) => void seen.push(...events.map((e) => e.globalPosition)) });
    await sub.catchUp();
    await sub.stop();
    expect(seen).toEqual([3n, 4n]);
  });

  it('resolves catchUp at once on an empty log, and after stop() rejects it', async () => {
    const sub = runSubscription({ store, name: 'p', pollIntervalMs: 1000, handle: () => undefined });
    await sub.catchUp();
    await sub.stop();
    await expect(sub.catchUp()).rejects.toThrow('stopped');
  });

  it('does not move the checkpoint past a failed batch: retried with onError, fatal without', async () => {
    await add('a', 3);
    const errors: unknown[] = [];
    let calls = 0;
    const retried = runSubscription({
      store,
      name: 'retry',
      retryDelayMs: 5,
      onError: (err) => errors.push(err),
      handle: () => {
        if (++calls === 1) throw new Error('flaky');
      },
    });
    await retried.catchUp();
    await retried.stop();
    expect(errors).toHaveLength(1);
    expect(calls).toBe(2);
    expect(await store.loadCheckpoint('retry')).toBe(3n);

    const fatal = runSubscription({
      store,
      name: 'fatal',
      handle: () => {
        throw new Error('broken');
      },
    });
    await expect(fatal.catchUp()).rejects.toThrow('broken');
    await expect(fatal.done).rejects.toThrow('broken');
    expect(await store.loadCheckpoint('fatal')).toBe(0n);
  });

  it('stops when its signal is aborted, after the batch in progress', async () => {
    await add('a', 2);
    const controller = new AbortController();
    const handled: bigint[] = [];
    const sub = runSubscription({
      store,
      name: 'p',
      batchSize: 1,
      signal: controller.signal,
      handle: async (events) => {
        controller.abort();
        await sleep(10);
        handled.push(events[0].globalPosition);
      },
    });
    await sub.done;
    expect(handled).toEqual([1n]);
    expect(await store.loadCheckpoint('p')).toBe(1n);
  });
});
