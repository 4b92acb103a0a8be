// The behaviour every EventStore adapter must have. Each adapter's *.int-spec.ts calls
// describeEventStoreConformance. Tests use their own stream ids and keys and read
// $all from the head they start at, so they also hold on a store shared with other writers.
import { ChainFold, eventHash, GENESIS } from '@ledger/event-store/chain';
import {
  DuplicateKey,
  EventStore,
  GlobalPosition,
  NewEvent,
  RecordedEvent,
  StreamAppend,
  WrongExpectedVersion,
} from '@ledger/event-store/port';

export interface OpenedStore {
  store: EventStore;
  /** Closes `store` and opens the same data again, as a restarted process would. */
  restart?: () => Promise<EventStore>;
}

export interface OpenOptions {
  /** Runs in each append just before it commits (slow writers). Adapters that cannot, ignore it. */
  beforeCommit?: (appends: readonly StreamAppend[]) => Promise<void>;
}

export type StoreFactory = (options: OpenOptions) => Promise<OpenedStore>;

export interface ConformanceAdapter {
  /** A store for one test. */
  open: StoreFactory;
  /** Why a restart cannot be tested: the restart test is then skipped, saying so. */
  noRestart?: string;
  /** Runs once after the suite. */
  cleanup?: () => Promise<void>;
}

/**
 * describe.skip whose title gives the reason. Jest prints nothing for a file whose tests are all
 * skipped, not even its console: the reason also goes straight to stderr.
 */
export function describeSkipped(title: string, reason: string, body: () => void): void {
  process.stderr.write(`${title}: skipped, ${reason}\n`);
  describe.skip(`${title}: skipped, ${reason}`, body);
}

/** `adapter` as a string: the reason the adapter cannot run here; the suite is skipped visibly. */
export function describeEventStoreConformance(name: string, adapter: ConformanceAdapter | StoreFactory | string): void {
  if (typeof adapter === 'string') {
    describeSkipped(name, adapter, () => conformanceTests({ open: () => Promise.reject(new Error(adapter)) }));
    return;
  }
  describe(`${name}: event store conformance`, () => conformanceTests(typeof adapter === 'function' ? { open: adapter } : adapter));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ev = (type: string, data: Record<string, unknown> = {}, metadata?: Record<string, unknown>): NewEvent =>
  metadata ? { type, data, metadata } : { type, data };
const events = (n: number, type = 'Counted') => Array.from({ length: n }, (_, i) => ev(type, { i }));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function conformanceTests(adapter: ConformanceAdapter): void {
  const run = Math.random().toString(36).slice(2, 8);
  let counter = 0;
  const id = (label: string) => `${label}-${run}-${++counter}`;
  let stores: EventStore[] = [];

  const open = async (options: OpenOptions = {}) => {
    const opened = await adapter.open(options);
    stores.push(opened.store);
    return opened;
  };
  /** Everything after `from` on the given streams, paging through $all. */
  const readOwn = async (store: EventStore, from: GlobalPosition, streams: Set<string>, page = 1000) => {
    const out: RecordedEvent[] = [];
    for (let pos = from; ;) {
      const batch = await store.readAll(pos, page);
      if (batch.length === 0) return out;
      out.push(...batch.filter((e) => streams.has(e.streamId)));
      pos = batch[batch.length - 1].globalPosition;
    }
  };

  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
    stores = [];
  });
  afterAll(async () => adapter.cleanup?.());

  it('appends to a stream and reads it back', async () => {
    const { store } = await open();
    const s = id('order');
    const [result] = await store.append([
      {
        streamId: s,
        expectedVersion: 0,
        events: [ev('Opened', { n: 1 }, { by: 'test' }), ev('Added', { sku: 'a"b\\c', q: [1, 2] }), ev('Closed')],
      },
    ]);
    expect(result.streamId).toBe(s);
    expect(result.nextVersion).toBe(3);
    expect(typeof result.lastPosition).toBe('bigint');

    const read = await store.readStream(s);
    expect(read.map((e) => [e.streamId, e.streamVersion, e.type])).toEqual([
      [s, 1, 'Opened'],
      [s, 2, 'Added'],
      [s, 3, 'Closed'],
    ]);
    expect(read[0].data).toEqual({ n: 1 });
    expect(read[0].metadata).toEqual({ by: 'test' });
    expect(read[1].data).toEqual({ sku: 'a"b\\c', q: [1, 2] });
    expect(read[2].metadata).toEqual({});
    expect(read.every((e) => e.recordedAt instanceof Date && typeof e.globalPosition === 'bigint')).toBe(true);
    expect(read[0].globalPosition < read[1].globalPosition && read[1].globalPosition < read[2].globalPosition).toBe(true);
    expect(read[2].globalPosition).toBe(result.lastPosition);

    expect((await store.readStream(s, 2)).map((e) => e.streamVersion)).toEqual([2, 3]);
    expect(await store.readStream(s, 4)).toEqual([]);
    expect(await store.readStream(id('missing'))).toEqual([]);
  });

  it('checks expected versions: 0 = new stream, n = current version, any', async () => {
    const { store } = await open();
    const s = id('account');
    expect((await store.append([{ streamId: s, expectedVersion: 0, events: events(2) }]))[0].nextVersion).toBe(2);
    expect((await store.append([{ streamId: s, expectedVersion: 2, events: events(1) }]))[0].nextVersion).toBe(3);
    expect((await store.append([{ streamId: s, expectedVersion: 'any', events: events(1) }]))[0].nextVersion).toBe(4);

    for (const expected of [2, 0, 5]) {
      const err = await rejection(store.append([{ streamId: s, expectedVersion: expected, events: events(1) }]));
      expect(err).toBeInstanceOf(WrongExpectedVersion);
      expect(err).toMatchObject({ streamId: s, expected, actual: 4 });
    }
    expect(await rejection(store.append([{ streamId: id('new'), expectedVersion: 3, events: events(1) }]))).toMatchObject({
      name: 'WrongExpectedVersion',
      actual: 0,
    });
    expect(await store.readStream(s)).toHaveLength(4);
    // No events: only the version is checked.
    expect(await store.append([{ streamId: s, expectedVersion: 4, events: [] }])).toEqual([{ streamId: s, nextVersion: 4 }]);
  });

  it('lets exactly one of many concurrent appends with the same expected version win', async () => {
    const { store } = await open();
    const s = id('race');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, w) =>
        store.append([{ streamId: s, expectedVersion: 0, events: [ev('Won', { w }), ev('Won', { w })] }]),
      ),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(WrongExpectedVersion);
    const read = await store.readStream(s);
    expect(read).toHaveLength(2);
    expect(read[0].data).toEqual(read[1].data);
  });

  it('appends to several streams atomically: one wrong expected version stores nothing', async () => {
    const { store } = await open();
    const [a, b, c] = [id('a'), id('b'), id('c')];
    await store.append([{ streamId: a, expectedVersion: 0, events: events(1) }]);
    const head = await store.headPosition();

    const err = await rejection(
      store.append([
        { streamId: b, expectedVersion: 0, events: events(2) },
        { streamId: a, expectedVersion: 0, events: events(1) },
        { streamId: c, expectedVersion: 0, events: events(1) },
      ]),
    );
    expect(err).toBeInstanceOf(WrongExpectedVersion);
    expect(err).toMatchObject({ streamId: a, actual: 1 });
    expect(await store.readStream(a)).toHaveLength(1);
    expect(await store.readStream(b)).toEqual([]);
    expect(await store.readStream(c)).toEqual([]);
    expect(await readOwn(store, head, new Set([a, b, c]))).toEqual([]);

    const results = await store.append([
      { streamId: b, expectedVersion: 0, events: events(2) },
      { streamId: a, expectedVersion: 1, events: events(1) },
    ]);
    expect(results.map((r) => [r.streamId, r.nextVersion])).toEqual([
      [b, 2],
      [a, 2],
    ]);
    const all = await readOwn(store, head, new Set([a, b]));
    expect(all.map((e) => [e.streamId, e.streamVersion])).toEqual([
      [b, 1],
      [b, 2],
      [a, 2],
    ]);
    expect(all[2].globalPosition).toBe(results[1].lastPosition);
  });

  it('records dedupe keys once: a second append with a key stores nothing', async () => {
    const { store } = await open();
    const [s1, s2, s3] = [id('usage'), id('usage'), id('usage')];
    const [k1, k2, k3] = [id('key'), id('key'), id('key')];
    await store.append([{ streamId: s1, expectedVersion: 0, events: events(1), dedupe: [{ key: k1, fingerprint: 'f1' }] }]);

    const found = await store.findDedupe([k1, k2]);
    expect([...found.keys()]).toEqual([k1]);
    expect(found.get(k1)).toEqual({ key: k1, fingerprint: 'f1', streamId: s1 });

    // Same key, other fingerprint and stream: still refused (the caller compares fingerprints).
    const err = await rejection(
      store.append([
        { streamId: s2, expectedVersion: 0, events: events(1), dedupe: [{ key: k2, fingerprint: 'f2' }] },
        { streamId: s1, expectedVersion: 'any', events: events(1), dedupe: [{ key: k1, fingerprint: 'other' }] },
      ]),
    );
    expect(err).toBeInstanceOf(DuplicateKey);
    expect((err as DuplicateKey).keys).toEqual([k1]);
    expect(await store.readStream(s2)).toEqual([]);
    expect(await store.readStream(s1)).toHaveLength(1);
    expect((await store.findDedupe([k1, k2])).get(k1)?.fingerprint).toBe('f1');
    expect((await store.findDedupe([k2])).size).toBe(0);

    // The same key twice in one call.
    const twice = await rejection(
      store.append([
        {
          streamId: s3,
          expectedVersion: 0,
          events: events(1),
          dedupe: [
            { key: k3, fingerprint: 'a' },
            { key: k3, fingerprint: 'a' },
          ],
        },
      ]),
    );
    expect(twice).toBeInstanceOf(DuplicateKey);
    expect(await store.readStream(s3)).toEqual([]);

    // A key may come without events.
    await store.append([{ streamId: s3, expectedVersion: 0, events: [], dedupe: [{ key: k3, fingerprint: 'f3' }] }]);
    expect((await store.findDedupe([k3])).get(k3)).toEqual({ key: k3, fingerprint: 'f3', streamId: s3 });
    expect(await store.findDedupe([])).toEqual(new Map());
  });

  it('lets exactly one of many concurrent appends with the same dedupe key win', async () => {
    const { store } = await open();
    const key = id('key');
    const streams = Array.from({ length: 8 }, () => id('req'));
    const outcomes = await Promise.allSettled(
      streams.map((s) => store.append([{ streamId: s, expectedVersion: 0, events: events(1), dedupe: [{ key, fingerprint: s }] }])),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(DuplicateKey);
    const winner = (await store.findDedupe([key])).get(key)!;
    expect(winner.fingerprint).toBe(winner.streamId);
    const stored = await Promise.all(streams.map((s) => store.readStream(s)));
    expect(stored.map((r) => r.length).sort()).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('reads the global log in order, in pages', async () => {
    const { store } = await open();
    const before = await store.headPosition();
    if ((await store.readAll(before, 1)).length === 0 && (await store.readAll(0n, 1)).length === 0) {
      expect(before).toBe(0n); // an empty log
    }
    const streams = [id('p'), id('q'), id('r')];
    const appended: string[] = [];
    for (let round = 0; round < 4; round++) {
      for (const s of streams) {
        await store.append([{ streamId: s, expectedVersion: round * 2, events: events(2) }]);
        appended.push(`${s}@${round * 2 + 1}`, `${s}@${round * 2 + 2}`);
      }
    }
    const own = new Set(streams);
    const all = await readOwn(store, before, own);
    expect(all.map((e) => `${e.streamId}@${e.streamVersion}`)).toEqual(appended);
    const positions = all.map((e) => e.globalPosition);
    expect(positions.every((p, i) => i === 0 || positions[i - 1] < p)).toBe(true);
    expect(positions[0] > before).toBe(true);

    const paged = await readOwn(store, before, own, 5);
    expect(paged.map((e) => e.globalPosition)).toEqual(positions);
    const page = await store.readAll(before, 3);
    expect(page).toHaveLength(3);
    expect(page.every((e) => e.globalPosition > before)).toBe(true);

    const head = await store.headPosition();
    expect(head >= positions[positions.length - 1]).toBe(true);
    expect((await store.readAll(head, 10)).every((e) => e.globalPosition > head)).toBe(true);
    expect(await store.readAll(before, 0)).toEqual([]);
  });

  it('appends thousands of events in one call', async () => {
    const { store } = await open();
    const [a, b] = [id('bulk'), id('bulk')];
    const before = await store.headPosition();
    const results = await store.append([
      { streamId: a, expectedVersion: 0, events: events(3000, 'Bulk') },
      { streamId: b, expectedVersion: 0, events: events(1000, 'Bulk') },
    ]);
    expect(results.map((r) => r.nextVersion)).toEqual([3000, 1000]);
    const all = await readOwn(store, before, new Set([a, b]), 1500);
    expect(all).toHaveLength(4000);
    expect(all[2999]).toMatchObject({ streamId: a, streamVersion: 3000, data: { i: 2999 } });
    expect(all[3999].globalPosition).toBe(results[1].lastPosition);
  });

  it("chains every event to the one before it in its stream, and keeps the log's digest over them", async () => {
    const { store } = await open();
    const before = await store.headPosition();
    const start = await store.logDigest(before);
    expect(start).toBeDefined();
    const [a, b] = [id('chain'), id('chain')];
    await store.append([
      {
        streamId: a,
        expectedVersion: 0,
        events: [ev('Opened', { n: 1, nested: { z: 1, a: [1, 'x', null] } }, { by: 'test' }), ev('Added')],
      },
    ]);
    await store.append([
      { streamId: b, expectedVersion: 0, events: events(2) },
      { streamId: a, expectedVersion: 2, events: [ev('Closed', { q: 'é"\\\u2028', big: 1e21, small: 5e-7 })] },
    ]);
    // Writers racing on one stream with `any`: each link still follows the event before it.
    await Promise.all([1, 2, 3].map((w) => store.append([{ streamId: a, expectedVersion: 'any', events: [ev('Any', { w })] }])));
    const head = await store.headPosition();

    for (const s of [a, b]) {
      let link = GENESIS;
      const read = await store.readStream(s);
      for (const e of read) {
        expect([s, e.streamVersion, e.hash]).toEqual([s, e.streamVersion, eventHash(link, e)]);
        link = e.hash!;
      }
      expect(read).toHaveLength(s === a ? 6 : 2);
    }
    // Its digest: every event after `before` (other writers' too) folded onto the digest there.
    const fold = new ChainFold({ digest: start!.digest, position: start!.position });
    const own = new Map<string, string>();
    for (let pos = before; pos < head;) {
      const page = (await store.readAll(pos, 1000)).filter((e) => e.globalPosition <= head);
      if (page.length === 0) break;
      for (const e of page) {
        fold.add(e, e.hash);
        if (e.streamId === a || e.streamId === b) own.set(`${e.streamId}@${e.streamVersion}`, e.hash!);
      }
      pos = page[page.length - 1].globalPosition;
    }
    const readBack = [...(await store.readStream(a)), ...(await store.readStream(b))];
    expect(new Map(readBack.map((e) => [`${e.streamId}@${e.streamVersion}`, e.hash!]))).toEqual(own);
    const published = await store.logDigest(head);
    expect(published).toEqual({ position: head, digest: fold.digest });

    // A digest given out at a position stays what it was; the head's moves on.
    await store.append([{ streamId: b, expectedVersion: 2, events: events(1) }]);
    expect(await store.logDigest(head)).toEqual(published);
    expect((await store.logDigest())!.digest).not.toBe(published!.digest);
  });

  it('reads many streams at once, each as readStream reads it', async () => {
    const { store } = await open();
    const [a, b, c, missing] = [id('many'), id('many'), id('many'), id('missing')];
    await store.append([{ streamId: a, expectedVersion: 0, events: [ev('Opened', { n: 1 }, { by: 'test' }), ev('Added', { q: [1, 2] })] }]);
    await store.append([
      { streamId: b, expectedVersion: 0, events: events(1) },
      { streamId: a, expectedVersion: 2, events: [ev('Closed')] },
    ]);
    await store.append([{ streamId: c, expectedVersion: 0, events: [], dedupe: [{ key: id('key'), fingerprint: 'f' }] }]);

    // An id given twice is read once; streams without events (never written, or keys only) are absent.
    const read = await store.readStreams([b, missing, a, c, a]);
    expect([...read.keys()].sort()).toEqual([a, b].sort());
    expect(read.get(a)).toEqual(await store.readStream(a));
    expect(read.get(b)).toEqual(await store.readStream(b));
    expect(read.get(a)!.map((e) => [e.streamVersion, e.type, e.metadata])).toEqual([
      [1, 'Opened', { by: 'test' }],
      [2, 'Added', {}],
      [3, 'Closed', {}],
    ]);
    expect(await store.readStreams([])).toEqual(new Map());
    expect(await store.readStreams([missing])).toEqual(new Map());

    // A batch the size a writer loads (every account of a batch of usage records).
    const streams = Array.from({ length: 120 }, () => id('acct'));
    await store.append(streams.map((s, i) => ({ streamId: s, expectedVersion: 0, events: events(1 + (i % 3)) })));
    const batch = await store.readStreams(streams);
    expect(batch.size).toBe(streams.length);
    streams.forEach((s, i) =>
      expect(batch.get(s)!.map((e) => [e.streamId, e.streamVersion, e.data])).toEqual(
        Array.from({ length: 1 + (i % 3) }, (_, j) => [s, j + 1, { i: j }]),
      ),
    );
  });

  (adapter.noRestart ? it.skip : it)(
    `keeps events, versions and dedupe keys across a restart${adapter.noRestart ? ` (skipped: ${adapter.noRestart})` : ''}`,
    async () => {
      const opened = await open();
      const [s, key] = [id('durable'), id('key')];
      const before = await opened.store.headPosition();
      await opened.store.append([{ streamId: s, expectedVersion: 0, events: events(3), dedupe: [{ key, fingerprint: 'fp' }] }]);
      const written = await opened.store.readStream(s);

      const store = await opened.restart!();
      stores.push(store);
      expect(await store.readStream(s)).toEqual(written);
      expect(await readOwn(store, before, new Set([s]))).toEqual(written);
      expect((await store.findDedupe([key])).get(key)).toEqual({ key, fingerprint: 'fp', streamId: s });
      expect(await store.readStreams([s])).toEqual(new Map([[s, written]]));
      expect(await rejection(store.append([{ streamId: s, expectedVersion: 0, events: events(1) }]))).toBeInstanceOf(WrongExpectedVersion);
      expect(
        await rejection(store.append([{ streamId: id('x'), expectedVersion: 0, events: events(1), dedupe: [{ key, fingerprint: 'fp' }] }])),
      ).toBeInstanceOf(DuplicateKey);
      const [next] = await store.append([{ streamId: s, expectedVersion: 3, events: events(1) }]);
      expect(next.nextVersion).toBe(4);
      expect(next.lastPosition! > written[2].globalPosition).toBe(true);
    },
  );

  it('shows a polling reader every event once, in order, under concurrent writers', async () => {
    // Some writers hold their transaction open before committing: a store that numbered events
    // before serialising commits would let the reader pass over the slow writer's events.
    const slow = async (appends: readonly StreamAppend[]) => {
      const delay = appends[0]?.events[0]?.data.holdMs;
      if (typeof delay === 'number') await sleep(delay);
    };
    const { store } = await open({ beforeCommit: slow });
    const start = await store.headPosition();
    const writers = 6;
    const appendsPerWriter = 8;
    const streams = new Set<string>();
    let expected = 0;

    const write = async (w: number) => {
      const own = id(`writer${w}`);
      const shared = id(`shared${w % 2}`);
      streams.add(own).add(shared);
      for (let i = 0; i < appendsPerWriter; i++) {
        const n = 1 + ((w + i) % 3);
        const holdMs = (w + i) % 4 === 0 ? 15 + 5 * w : undefined;
        const batch = Array.from({ length: n }, (_, j) => ev('Written', holdMs !== undefined && j === 0 ? { w, i, holdMs } : { w, i }));
        const appends: StreamAppend[] = [{ streamId: own, expectedVersion: i === 0 ? 0 : 'any', events: batch }];
        if (i % 3 === 0) appends.push({ streamId: shared, expectedVersion: 'any', events: [ev('Shared', { w, i })] });
        await store.append(appends);
        expected += n + (i % 3 === 0 ? 1 : 0);
        await sleep(w % 3);
      }
    };

    let writing = true;
    const seen: RecordedEvent[] = [];
    const reader = (async () => {
      let position = start;
      for (;;) {
        const done = !writing; // decided before the read: that read then sees every append
        const batch = await store.readAll(position, 7);
        for (const e of batch) {
          expect(e.globalPosition > position).toBe(true);
          position = e.globalPosition;
          if (streams.has(e.streamId)) seen.push(e);
        }
        if (batch.length === 0) {
          if (done) return;
          await sleep(1);
        }
      }
    })();
    const writes = Promise.all(Array.from({ length: writers }, (_, w) => write(w))).finally(() => (writing = false));
    for (const outcome of await Promise.allSettled([writes, reader])) if (outcome.status === 'rejected') throw outcome.reason;

    const keys = seen.map((e) => `${e.streamId}@${e.streamVersion}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(seen.length).toBe(expected);
    const final = await readOwn(store, start, streams);
    expect(seen.map((e) => e.globalPosition)).toEqual(final.map((e) => e.globalPosition));
  });
}
