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
import {
  AppendResult,
  DedupeRecord,
  DuplicateKey,
  EventStore,
  GlobalPosition,
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

// multiStreamAppend accepts string-valued metadata only: ours travels JSON-encoded in one property.
const META = 'ledger-metadata';

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
 * The keys stay here, beside the log, even when checkpoints and read models live in PostgreSQL
 * (openLedgerStorage, kind `kurrentdb`): a key is worth something only when it is written
 * atomically with the events it guards (a charge and its usage id), and a row in PostgreSQL cannot
 * be in the same transaction as a KurrentDB append. A crash between the two writes would either
 * lose the key (a redelivered usage record is charged twice) or keep a key whose charge never
 * happened (the usage is never charged).
 */
export class KurrentDbEventStore implements EventStore {
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

    const requests: AppendStreamRequest[] = [];
    const empty = new Map<string, number>(); // stream -> version, for appends without events
    for (const a of appends) {
      if (a.events.length === 0) {
        empty.set(a.streamId, await this.checkVersion(a));
      } else {
        requests.push({ streamName: a.streamId, expectedState: toState(a.expectedVersion), events: a.events.map(toEventData) });
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

function toEventData(e: NewEvent) {
  const metadata = e.metadata && Object.keys(e.metadata).length > 0 ? { [META]: JSON.stringify(e.metadata) } : undefined;
  return jsonEvent({ type: e.type, data: e.data, metadata });
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
  return {
    streamId: e.streamId,
    streamVersion: Number(e.revision) + 1,
    globalPosition: position,
    type: e.type,
    data: (e.data ?? {}) as Record<string, unknown>,
    metadata: decodeMetadata(e.metadata),
    recordedAt: e.created,
  };
}

function decodeMetadata(raw: unknown): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || raw instanceof Uint8Array) return {};
  const value = (raw as Record<string, unknown>)[META];
  return typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : (raw as Record<string, unknown>);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
