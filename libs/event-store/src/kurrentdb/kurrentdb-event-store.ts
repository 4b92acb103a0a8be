import {
  AllStreamResolvedEvent,
  AppendStreamRequest,
  AppendStreamState,
  BACKWARDS,
  END,
  jsonEvent,
  KurrentDBClient,
  ResolvedEvent,
  START,
  StreamNotFoundError,
  streamNameFilter,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { ChainFold, eventHash, GENESIS } from '../chain';
import {
  ChainMismatch,
  ImportBatch,
  LogImportTarget,
  migrationFromJson,
  MigrationMoved,
  MigrationState,
  migrationToJson,
  sameProgress,
} from '../log-import';
import {
  AppendResult,
  DedupeRecord,
  DuplicateKey,
  EventStore,
  GlobalPosition,
  LogDigest,
  NewEvent,
  RecordedEvent,
  StreamAppend,
  WrongExpectedVersion,
} from '../port';
import { repeatedKeys } from '../repeated-keys';

export interface KurrentDbEventStoreOptions {
  /**
   * Prefix of the store's own streams (dedupe keys), which readAll hides.
   * Not `$`: writing `$` streams needs admin rights on a secure server. Default `_ledger-`.
   */
  internalPrefix?: string;
  /** Most stream reads readStreams keeps in flight at once (default 32). */
  readConcurrency?: number;
}

// multiStreamAppend accepts string-valued metadata only: ours travels JSON-encoded in one property,
// beside the event's hash (chain.ts) and, for an event a migration copied, the time its source
// recorded it (KurrentDB's own `created` is the time of the copy).
const META = 'ledger-metadata';
const HASH = 'ledger-hash';
const RECORDED_AT = 'ledger-recorded-at';

/** Tries of an append to `any` whose streams moved between reading their chain heads and writing. */
const ANY_RETRIES = 5;

/**
 * The port on KurrentDB (server 25.1 or later: appends use multiStreamAppend, which is atomic
 * across streams). Streams map 1:1; version = revision + 1; global position = commit position in
 * $all, read with a server-side filter that hides `$` streams and the internal ones (this assumes,
 * as for every write without an explicit transaction, that each event has its own commit position).
 *
 * Dedupe keys are streams `<prefix>dedupe-<key>` written with expected state no_stream in the same
 * multiStreamAppend, so an existing key fails the whole append. Weaker than SQL: an append whose
 * stream has no events only has its expected version checked by a read before the write (not
 * atomic), and DuplicateKey lists keys found by a read after the failure.
 *
 * Tamper evidence (chain.ts): each event carries its hash in the KurrentDB metadata, chained to the
 * stream's last event, which the append reads first (and then expects that revision, so the link
 * holds; an append to `any` that finds its streams moved reads and tries again). Events written
 * before the chain have no hash and cannot get one (KurrentDB's events are immutable): their hash is
 * computed from their bytes where needed. There is no writer lock here, so no running digest is kept
 * at append time: `logDigest` walks $all (commit order) and computes it, which costs a read of the
 * log up to the position asked.
 *
 * The keys stay here, beside the log, even when checkpoints and read models live in PostgreSQL
 * (openLedgerStorage, kind `kurrentdb`): a key is worth something only when it is written
 * atomically with the events it guards (a charge and its usage id), and a row in PostgreSQL cannot
 * be in the same transaction as a KurrentDB append. A crash between the two writes would either
 * lose the key (a redelivered usage record is charged twice) or keep a key whose charge never
 * happened (the usage is never charged).
 */
export class KurrentDbEventStore implements EventStore, LogImportTarget {
  readonly description = 'KurrentDB';
  private readonly prefix: string;
  private readonly readConcurrency: number;

  constructor(
    private readonly client: KurrentDBClient,
    options: KurrentDbEventStoreOptions = {},
  ) {
    this.prefix = options.internalPrefix ?? '_ledger-';
    this.readConcurrency = Math.max(1, Math.floor(options.readConcurrency ?? 32));
  }

  /** `url`: a KurrentDB connection string, e.g. `kurrentdb://localhost:2113?tls=false`. */
  static connect(url: string, options?: KurrentDbEventStoreOptions): KurrentDbEventStore {
    return new KurrentDbEventStore(KurrentDBClient.connectionString(url), options);
  }

  async append(appends: StreamAppend[]): Promise<AppendResult[]> {
    const keys = appends.flatMap((a) => (a.dedupe ?? []).map((d) => d.key));
    const repeated = repeatedKeys(keys);
    if (repeated.length > 0) throw new DuplicateKey(repeated);
    const existing = await this.findDedupe(keys);
    if (existing.size > 0) throw new DuplicateKey(keys.filter((k) => existing.has(k)));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.appendOnce(appends, keys);
      } catch (err) {
        // Another writer moved a stream this append wrote to `any` after its chain head was read.
        const moved =
          err instanceof WrongExpectedVersion && appends.some((a) => a.streamId === err.streamId && a.expectedVersion === 'any');
        if (!moved || attempt >= ANY_RETRIES) throw err;
      }
    }
  }

  private async appendOnce(appends: StreamAppend[], keys: string[]): Promise<AppendResult[]> {
    const heads = await this.chainHeads([...new Set(appends.filter((a) => a.events.length > 0).map((a) => a.streamId))]);
    const requests: AppendStreamRequest[] = [];
    const empty = new Map<string, number>(); // stream -> version, for appends without events
    for (const a of appends) {
      if (a.events.length === 0) {
        empty.set(a.streamId, await this.checkVersion(a));
      } else {
        const head = heads.get(a.streamId)!;
        if (a.expectedVersion !== 'any' && a.expectedVersion !== head.version) {
          throw new WrongExpectedVersion(a.streamId, a.expectedVersion, head.version);
        }
        let link = head.hash;
        const events = a.events.map((e, i) => {
          link = eventHash(link, {
            streamId: a.streamId,
            streamVersion: head.version + i + 1,
            type: e.type,
            data: e.data,
            metadata: e.metadata ?? {},
          });
          return toEventData(e, { [HASH]: link });
        });
        head.version += a.events.length;
        head.hash = link;
        // The revision read, not `any`: the hashes above follow that event.
        requests.push({ streamName: a.streamId, expectedState: toState(head.version - a.events.length), events });
      }
      for (const d of a.dedupe ?? []) {
        const data = { key: d.key, fingerprint: d.fingerprint, streamId: a.streamId };
        requests.push({
          streamName: this.dedupeStream(d.key),
          expectedState: 'no_stream',
          events: [toEventData({ type: 'DedupeKey', data })],
        });
      }
    }
    if (requests.length === 0) return appends.map((a) => ({ streamId: a.streamId, nextVersion: empty.get(a.streamId)! }));

    let written;
    try {
      written = await this.client.multiStreamAppend(requests);
    } catch (err) {
      throw await this.translate(err, appends, keys);
    }
    const revisions = new Map(written.responses.map((r) => [r.streamName, r.revision]));
    return appends.map((a) => {
      if (a.events.length === 0) return { streamId: a.streamId, nextVersion: empty.get(a.streamId)! };
      // The server reports one position per multiStreamAppend: that of its commit.
      return { streamId: a.streamId, nextVersion: Number(revisions.get(a.streamId)!) + 1, lastPosition: written.position };
    });
  }

  /**
   * Each stream's version and the hash of its last event (GENESIS for none), read in parallel; a
   * last event written before the chain is hashed from its stream's bytes.
   */
  private async chainHeads(streamIds: string[]): Promise<Map<string, { version: number; hash: string }>> {
    const heads = new Map<string, { version: number; hash: string }>();
    await this.eachLimited(streamIds, async (id) => {
      const [last] = await this.read(id, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
      if (!last?.event) return void heads.set(id, { version: 0, hash: GENESIS });
      const e = toRecorded(last.event, 0n);
      if (e.hash !== undefined) return void heads.set(id, { version: e.streamVersion, hash: e.hash });
      const fold = new ChainFold();
      for (const x of await this.readStream(id)) fold.add(x, x.hash);
      heads.set(id, { version: e.streamVersion, hash: fold.streams.get(id)?.hash ?? GENESIS });
    });
    return heads;
  }

  /** Runs `fn` for each id, `readConcurrency` at a time. */
  private async eachLimited(ids: string[], fn: (id: string) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < ids.length) await fn(ids[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(this.readConcurrency, ids.length) }, worker));
  }

  private async translate(err: unknown, appends: StreamAppend[], keys: string[]): Promise<unknown> {
    if (!(err instanceof WrongExpectedVersionError)) return err;
    if (err.streamName.startsWith(this.dedupeStream(''))) {
      const found = await this.findDedupe(keys);
      return new DuplicateKey(found.size > 0 ? keys.filter((k) => found.has(k)) : keys);
    }
    const a = appends.find((x) => x.streamId === err.streamName);
    const actual = err.actualState === 'no_stream' ? 0 : Number(err.actualState) + 1;
    return a ? new WrongExpectedVersion(a.streamId, a.expectedVersion, actual) : err;
  }

  private async checkVersion(a: StreamAppend): Promise<number> {
    const actual = await this.streamVersion(a.streamId);
    if (a.expectedVersion !== 'any' && a.expectedVersion !== actual) {
      throw new WrongExpectedVersion(a.streamId, a.expectedVersion, actual);
    }
    return actual;
  }

  private async streamVersion(streamId: string): Promise<number> {
    const [last] = await this.read(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    return last?.event ? Number(last.event.revision) + 1 : 0;
  }

  async readStream(streamId: string, fromVersion = 1): Promise<RecordedEvent[]> {
    const events = await this.read(streamId, { fromRevision: BigInt(Math.max(1, Math.floor(fromVersion)) - 1) });
    return events.flatMap((e) => (e.event ? [toRecorded(e.event, e.event.position?.commit ?? e.commitPosition ?? 0n)] : []));
  }

  /** No multi-stream read in KurrentDB: one read per stream, `readConcurrency` at a time. */
  async readStreams(streamIds: string[]): Promise<Map<string, RecordedEvent[]>> {
    const ids = [...new Set(streamIds)];
    const read = new Map<string, RecordedEvent[]>();
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++];
        read.set(id, await this.readStream(id));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.readConcurrency, ids.length) }, worker));
    const out = new Map<string, RecordedEvent[]>();
    for (const id of ids) {
      const events = read.get(id)!;
      if (events.length > 0) out.set(id, events);
    }
    return out;
  }

  async readAll(after: GlobalPosition, maxCount: number): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    if (maxCount <= 0) return out;
    const iterator = this.client.readAll({
      fromPosition: after === 0n ? START : { commit: after, prepare: after },
      filter: this.userStreams(),
    });
    for await (const resolved of iterator) {
      const e = resolved.event;
      // fromPosition is inclusive: skip what the caller has already seen.
      if (!e || e.position.commit <= after || e.type.startsWith('$')) continue;
      out.push(toRecorded(e, e.position.commit));
      if (out.length >= maxCount) break;
    }
    return out;
  }

  async headPosition(): Promise<GlobalPosition> {
    const iterator = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, filter: this.userStreams() });
    for await (const resolved of iterator as AsyncIterable<AllStreamResolvedEvent>) {
      if (resolved.event) return resolved.event.position.commit;
    }
    return 0n;
  }

  async findDedupe(keys: string[]): Promise<Map<string, DedupeRecord>> {
    const found = new Map<string, DedupeRecord>();
    await Promise.all(
      [...new Set(keys)].map(async (key) => {
        const [first] = await this.read(this.dedupeStream(key), { maxCount: 1 });
        const data = first?.event?.data as DedupeRecord | undefined;
        if (data) found.set(key, { key, fingerprint: data.fingerprint, streamId: data.streamId });
      }),
    );
    return found;
  }

  /** Walks $all from its start through `at` (default: the head), folding each event's hash. */
  async logDigest(at?: GlobalPosition): Promise<LogDigest | undefined> {
    const fold = new ChainFold();
    for (let after = 0n; ;) {
      const page = await this.readAll(after, 1000);
      for (const e of page) {
        if (at !== undefined && e.globalPosition > at) return { position: fold.position, digest: fold.digest };
        fold.add(e, e.hash);
      }
      if (page.length === 0) return { position: fold.position, digest: fold.digest };
      after = page[page.length - 1].globalPosition;
    }
  }

  // ---- LogImportTarget: npm run migrate into KurrentDB ----

  private migrationStream(): string {
    return `${this.prefix}migration`;
  }

  /** The last progress recorded, with its revision (for the next progress's expected state). */
  private async lastProgress(): Promise<{ state: MigrationState; revision: bigint } | undefined> {
    const [last] = await this.read(this.migrationStream(), { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    if (!last?.event) return undefined;
    return { state: migrationFromJson(last.event.data as Parameters<typeof migrationFromJson>[0]), revision: last.event.revision };
  }

  async migrationState(): Promise<MigrationState | undefined> {
    return (await this.lastProgress())?.state;
  }

  async isEmpty(): Promise<boolean> {
    if ((await this.headPosition()) !== 0n) return false;
    const keys = this.client.readAll({ maxCount: 1, filter: streamNameFilter({ prefixes: [this.dedupeStream('')] }) });
    for await (const k of keys as AsyncIterable<AllStreamResolvedEvent>) if (k.event) return false;
    return true;
  }

  /**
   * The batch in as few multi-stream appends as keep the source's order in $all (one append writes
   * its streams one after another: a run of the log in which no stream comes back after another),
   * each with the progress through its last event in the migration stream. Hashes are computed
   * here and compared with the source's first; the recorded time travels in the metadata.
   */
  async importBatch(batch: ImportBatch): Promise<void> {
    let progress = await this.lastProgress();
    if (!sameProgress(progress?.state, batch.expected)) {
      throw new MigrationMoved(`the migration recorded in KurrentDB is not where this run left it (another run at the same time?)`);
    }
    const heads = await this.chainHeads([...new Set(batch.events.map((e) => e.streamId))]);
    const runs: RecordedEvent[][] = [];
    let run: RecordedEvent[] = [];
    let inRun = new Set<string>();
    for (const e of batch.events) {
      const last = run[run.length - 1];
      if (last && last.streamId !== e.streamId && inRun.has(e.streamId)) {
        runs.push(run);
        run = [];
        inRun = new Set();
      }
      run.push(e);
      inRun.add(e.streamId);
    }
    if (run.length > 0) runs.push(run);

    const write = async (requests: AppendStreamRequest[], next: MigrationState) => {
      requests.push({
        streamName: this.migrationStream(),
        expectedState: progress ? progress.revision : 'no_stream',
        events: [toEventData({ type: 'MigrationProgress', data: migrationToJson(next) })],
      });
      await this.client.multiStreamAppend(requests);
      progress = { state: next, revision: progress ? progress.revision + 1n : 0n };
    };
    const before = batch.expected ?? { ...batch.next, sourcePosition: 0n, events: 0, keysAfter: null, keys: 0, done: false };
    let copied = before.events;
    for (let r = 0; r < runs.length; r++) {
      const byStream = new Map<string, ReturnType<typeof toEventData>[]>();
      const firstVersion = new Map<string, number>();
      for (const e of runs[r]) {
        const head = heads.get(e.streamId)!;
        if (e.streamVersion !== head.version + 1)
          throw new ChainMismatch(e, 'order', `follows version ${head.version} of its stream on the target`);
        const hash = eventHash(head.hash, e);
        if (e.hash !== undefined && e.hash !== hash)
          throw new ChainMismatch(e, 'hash', `its hash on the source is ${e.hash}, its bytes make ${hash} here`);
        if (!firstVersion.has(e.streamId)) firstVersion.set(e.streamId, e.streamVersion);
        head.version = e.streamVersion;
        head.hash = hash;
        const list = byStream.get(e.streamId) ?? [];
        list.push(toEventData(e, { [HASH]: hash, [RECORDED_AT]: e.recordedAt.toISOString() }));
        byStream.set(e.streamId, list);
      }
      const requests = [...byStream].map(([streamName, events]) => ({
        streamName,
        expectedState: toState(firstVersion.get(streamName)! - 1),
        events,
      }));
      copied += runs[r].length;
      const through = runs[r][runs[r].length - 1].globalPosition;
      const last = r === runs.length - 1 && batch.keys.length === 0;
      await write(requests, last ? batch.next : { ...before, sourcePosition: through, events: copied, updatedAt: batch.next.updatedAt });
    }
    if (batch.keys.length > 0 || runs.length === 0) {
      const requests: AppendStreamRequest[] = batch.keys.map((k) => ({
        streamName: this.dedupeStream(k.key),
        expectedState: 'no_stream',
        events: [toEventData({ type: 'DedupeKey', data: { key: k.key, fingerprint: k.fingerprint, streamId: k.streamId } })],
      }));
      await write(requests, batch.next);
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  private dedupeStream(key: string): string {
    return `${this.prefix}dedupe-${key}`;
  }

  /** Server-side filter: no `$` streams, none of ours. */
  private userStreams() {
    return streamNameFilter({ regex: `^(?!\\$|${escapeRegex(this.prefix)})` });
  }

  /** A stream read; a missing stream reads as empty. */
  private async read(stream: string, options: Parameters<KurrentDBClient['readStream']>[1]): Promise<ResolvedEvent[]> {
    const out: ResolvedEvent[] = [];
    try {
      for await (const e of this.client.readStream(stream, options)) out.push(e);
    } catch (err) {
      if (!(err instanceof StreamNotFoundError)) throw err;
    }
    return out;
  }
}

function toState(expected: StreamAppend['expectedVersion']): AppendStreamState {
  if (expected === 'any') return 'any';
  return expected === 0 ? 'no_stream' : BigInt(expected - 1);
}

function toEventData(e: NewEvent, store: Record<string, string> = {}) {
  const own = e.metadata && Object.keys(e.metadata).length > 0 ? { [META]: JSON.stringify(e.metadata) } : {};
  const metadata = { ...own, ...store };
  return jsonEvent({ type: e.type, data: e.data, metadata: Object.keys(metadata).length > 0 ? metadata : undefined });
}

interface KurrentRecorded {
  streamId: string;
  revision: bigint;
  type: string;
  data: unknown;
  metadata?: unknown;
  created: Date;
}

function toRecorded(e: KurrentRecorded, position: bigint): RecordedEvent {
  const stored = storeMetadata(e.metadata);
  const recorded: RecordedEvent = {
    streamId: e.streamId,
    streamVersion: Number(e.revision) + 1,
    globalPosition: position,
    type: e.type,
    data: (e.data ?? {}) as Record<string, unknown>,
    metadata: decodeMetadata(e.metadata),
    recordedAt: typeof stored[RECORDED_AT] === 'string' ? new Date(stored[RECORDED_AT]) : e.created,
  };
  if (typeof stored[HASH] === 'string') recorded.hash = stored[HASH];
  return recorded;
}

function storeMetadata(raw: unknown): Record<string, unknown> {
  return raw && typeof raw === 'object' && !(raw instanceof Uint8Array) ? (raw as Record<string, unknown>) : {};
}

function decodeMetadata(raw: unknown): Record<string, unknown> {
  const stored = storeMetadata(raw);
  const value = stored[META];
  if (typeof value === 'string') return JSON.parse(value) as Record<string, unknown>;
  // An event written without our metadata property (by another writer) shows what it has, less ours.
  const { [HASH]: _hash, [RECORDED_AT]: _at, ...rest } = stored;
  return rest;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
