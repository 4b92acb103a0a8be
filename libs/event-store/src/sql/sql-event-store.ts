import {
  AppendResult,
  DedupeRecord,
  DuplicateKey,
  EventStore,
  GlobalPosition,
  RecordedEvent,
  StreamAppend,
  WrongExpectedVersion,
} from '../port';
import { RecentEvents } from '../recent-events';
import { repeatedKeys } from '../repeated-keys';
import { checkSchemaName, LOCK_CLASS, lockKey, migrationStatements } from './schema';
import { isUniqueViolation, SqlClient, SqlExecutor } from './sql-client';

export interface SqlEventStoreOptions {
  /** Schema of the tables (default `ledger`). */
  schema?: string;
  /** close() closes the client too (default true). */
  ownsClient?: boolean;
  /**
   * How many of its own latest events this store keeps in memory for readAll (default 10,000;
   * 0: none). Readers in the same process then skip reading back and parsing what it just wrote.
   */
  recentEvents?: number;
  /** Test hook: runs inside every append transaction, after the writes, just before COMMIT. */
  beforeCommit?: (appends: readonly StreamAppend[]) => Promise<void>;
}

/** One event row in the append document (positions as strings: JSON numbers stop at 2^53). */
interface EventInsert {
  p: string;
  s: string;
  v: number;
  t: string;
  d: Record<string, unknown>;
  m: Record<string, unknown>;
}

interface DedupeInsert {
  k: string;
  f: string;
  s: string;
  p: string | null;
}

interface EventRow {
  global_position: bigint | string;
  stream_id: string;
  stream_version: number;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

/**
 * The event store on PostgreSQL (server or PGlite).
 *
 * Global order: every append takes one advisory transaction lock before it reads the head and
 * numbers its events, so writers commit one at a time in position order. PostgreSQL releases the
 * lock only after the commit is visible, so a reader that sees position p sees everything below p:
 * readAll never skips an event that commits late, and positions have no gaps.
 */
export class SqlEventStore implements EventStore {
  readonly schema: string;
  private readonly writerLock: string;
  private closed = false;
  private readonly recent: RecentEvents;

  constructor(
    private readonly client: SqlClient,
    private readonly options: SqlEventStoreOptions = {},
  ) {
    this.schema = checkSchemaName(options.schema ?? 'ledger');
    this.writerLock = `pg_advisory_xact_lock(${LOCK_CLASS}, ${lockKey('append', this.schema)})`;
    this.recent = new RecentEvents(options.recentEvents ?? 10_000);
  }

  /**
   * The database the log lives in.
   * @deprecated Open the storage with openLedgerStorage and use its `database` (the read-model
   * database, which is not the log's with KurrentDB).
   */
  get database(): SqlClient {
    return this.client;
  }

  /** A store whose tables exist (migrated). */
  static async open(client: SqlClient, options?: SqlEventStoreOptions): Promise<SqlEventStore> {
    const store = new SqlEventStore(client, options);
    await store.migrate();
    return store;
  }

  /** Creates the schema and tables when missing. Safe to run concurrently from several processes. */
  async migrate(): Promise<void> {
    await this.client.transaction(async (tx) => {
      // Concurrent CREATE ... IF NOT EXISTS can still collide on the catalog: take turns.
      await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${lockKey('migrate', this.schema)})`);
      for (const statement of migrationStatements(this.schema)) await tx.query(statement);
    });
  }

  async append(appends: StreamAppend[]): Promise<AppendResult[]> {
    appends.forEach(checkAppend);
    if (appends.length === 0) return [];
    const keys = appends.flatMap((a) => (a.dedupe ?? []).map((d) => d.key));
    const repeated = repeatedKeys(keys);
    if (repeated.length > 0) throw new DuplicateKey(repeated);
    try {
      // Writers take turns; the lock goes with BEGIN, so the next statement's snapshot
      // (READ COMMITTED: one per statement) already sees the previous writer's commit.
      const { results, recorded } = await this.client.transaction((tx) => this.appendIn(tx, appends, keys), {
        beginWith: `SELECT ${this.writerLock}`,
      });
      this.recent.add(recorded); // committed: these rows are now the log at these positions
      return results;
    } catch (err) {
      throw await this.translate(err, appends, keys);
    }
  }

  private async appendIn(
    tx: SqlExecutor,
    appends: StreamAppend[],
    keys: string[],
  ): Promise<{ results: AppendResult[]; recorded: RecordedEvent[] }> {
    const s = this.schema;
    const streamIds = [...new Set(appends.map((a) => a.streamId))];
    const [state] = await tx.query<{ head: bigint | string; versions: [string, number][]; dups: string[] }>(
      `SELECT (SELECT coalesce(max(global_position), 0) FROM ${s}.events) AS head,
        (SELECT coalesce(json_agg(json_build_array(stream_id, version)), '[]') FROM ${s}.streams
          WHERE stream_id = ANY($1::text[])) AS versions,
        (SELECT coalesce(array_agg(key), '{}') FROM ${s}.dedupe WHERE key = ANY($2::text[])) AS dups`,
      [streamIds, keys],
    );
    // Keys before versions: a retried append then reports DuplicateKey, which callers treat as done.
    if (state.dups.length > 0) {
      const dups = new Set(state.dups);
      throw new DuplicateKey(keys.filter((k) => dups.has(k)));
    }

    const versions = new Map(state.versions);
    const head = BigInt(state.head);
    // Every row goes in one JSON document (one parameter): PostgreSQL parses it once, and no
    // array literal has to escape each event's JSON text on the way.
    const rows = { e: [] as EventInsert[], s: [] as [string, number][], d: [] as DedupeInsert[] };
    const results: AppendResult[] = [];
    const touched = new Set<string>(); // streams that get events
    let count = 0;
    for (const a of appends) {
      const actual = versions.get(a.streamId) ?? 0;
      if (a.expectedVersion !== 'any' && a.expectedVersion !== actual) {
        throw new WrongExpectedVersion(a.streamId, a.expectedVersion, actual);
      }
      for (let i = 0; i < a.events.length; i++) {
        const e = a.events[i];
        count++;
        rows.e.push({ p: String(head + BigInt(count)), s: a.streamId, v: actual + i + 1, t: e.type, d: e.data, m: e.metadata ?? {} });
      }
      const nextVersion = actual + a.events.length;
      versions.set(a.streamId, nextVersion);
      if (a.events.length > 0) touched.add(a.streamId);
      const lastPosition = a.events.length > 0 ? head + BigInt(count) : undefined;
      for (const d of a.dedupe ?? []) {
        rows.d.push({ k: d.key, f: d.fingerprint, s: a.streamId, p: lastPosition === undefined ? null : String(lastPosition) });
      }
      results.push(
        lastPosition === undefined ? { streamId: a.streamId, nextVersion } : { streamId: a.streamId, nextVersion, lastPosition },
      );
    }
    for (const id of touched) rows.s.push([id, versions.get(id)!]);

    // One statement: thousands of events cost one round trip. It answers the transaction's now(),
    // the recorded_at of every row it wrote.
    const [{ at }] = await tx.query<{ at: Date | string }>(
      `WITH doc AS (SELECT $1::jsonb AS j),
       ev AS (
         INSERT INTO ${s}.events (global_position, stream_id, stream_version, type, data, metadata)
         SELECT x.p, x.s, x.v, x.t, x.d, x.m FROM doc, jsonb_to_recordset(doc.j -> 'e') AS x(p bigint, s text, v int, t text, d jsonb, m jsonb)),
       st AS (
         INSERT INTO ${s}.streams (stream_id, version)
         SELECT x ->> 0, (x ->> 1)::int FROM doc, jsonb_array_elements(doc.j -> 's') AS x
         ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version),
       dd AS (
         INSERT INTO ${s}.dedupe (key, fingerprint, stream_id, global_position)
         SELECT x.k, x.f, x.s, x.p FROM doc, jsonb_to_recordset(doc.j -> 'd') AS x(k text, f text, s text, p bigint))
       SELECT now() AS at`,
      [JSON.stringify(rows)],
    );
    await this.options.beforeCommit?.(appends);
    const recordedAt = at instanceof Date ? at : new Date(at);
    const recorded = rows.e.map((e): RecordedEvent => ({
      streamId: e.s,
      streamVersion: e.v,
      globalPosition: BigInt(e.p),
      type: e.t,
      data: e.d,
      metadata: e.m,
      recordedAt,
    }));
    return { results, recorded };
  }

  /** Unique violations mean a writer that bypassed the lock won a race: report it as the port says. */
  private async translate(err: unknown, appends: StreamAppend[], keys: string[]): Promise<unknown> {
    if (!isUniqueViolation(err)) return err;
    if (err.constraint === 'dedupe_pkey') {
      const found = await this.findDedupe(keys);
      return new DuplicateKey(found.size > 0 ? keys.filter((k) => found.has(k)) : keys);
    }
    if (err.constraint === 'events_stream_version_key') {
      for (const a of appends) {
        const [row] = await this.client.query<{ version: number }>(
          `SELECT coalesce(max(stream_version), 0) AS version FROM ${this.schema}.events WHERE stream_id = $1`,
          [a.streamId],
        );
        const actual = row.version;
        if (a.expectedVersion !== 'any' && a.expectedVersion !== actual) {
          return new WrongExpectedVersion(a.streamId, a.expectedVersion, actual);
        }
      }
    }
    return err;
  }

  async readStream(streamId: string, fromVersion = 1): Promise<RecordedEvent[]> {
    const rows = await this.client.query<EventRow>(
      `SELECT * FROM ${this.schema}.events WHERE stream_id = $1 AND stream_version >= $2
       ORDER BY stream_version`,
      [streamId, Math.max(1, Math.floor(fromVersion))],
    );
    return rows.map(toRecorded);
  }

  /** Every stream in one statement (ordered by the (stream_id, stream_version) unique index). */
  async readStreams(streamIds: string[]): Promise<Map<string, RecordedEvent[]>> {
    const out = new Map<string, RecordedEvent[]>();
    if (streamIds.length === 0) return out;
    const rows = await this.client.query<EventRow>(
      `SELECT * FROM ${this.schema}.events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_version`,
      [[...new Set(streamIds)]],
    );
    for (const r of rows) {
      const e = toRecorded(r);
      const list = out.get(r.stream_id);
      if (list) list.push(e);
      else out.set(r.stream_id, [e]);
    }
    return out;
  }

  /**
   * Events after `after` that this store appended itself and still holds in memory (maybe none).
   * Reached through `LedgerStorage.sqlLog` by a reader of the events table in the same process.
   */
  recentAfter(after: GlobalPosition, maxCount: number): RecordedEvent[] {
    return this.recent.after(after, maxCount);
  }

  async readAll(after: GlobalPosition, maxCount: number): Promise<RecordedEvent[]> {
    if (maxCount <= 0) return [];
    const recent = this.recent.after(after, maxCount);
    if (recent.length > 0) return recent;
    const rows = await this.client.query<EventRow>(
      `SELECT * FROM ${this.schema}.events WHERE global_position > $1::bigint
       ORDER BY global_position LIMIT $2`,
      [String(after), Math.floor(maxCount)],
    );
    return rows.map(toRecorded);
  }

  async headPosition(): Promise<GlobalPosition> {
    const [row] = await this.client.query<{ head: bigint | string }>(
      `SELECT coalesce(max(global_position), 0) AS head FROM ${this.schema}.events`,
    );
    return BigInt(row.head);
  }

  async findDedupe(keys: string[]): Promise<Map<string, DedupeRecord>> {
    if (keys.length === 0) return new Map();
    const rows = await this.client.query<{ key: string; fingerprint: string; stream_id: string }>(
      `SELECT key, fingerprint, stream_id FROM ${this.schema}.dedupe WHERE key = ANY($1::text[])`,
      [keys],
    );
    return new Map(rows.map((r) => [r.key, { key: r.key, fingerprint: r.fingerprint, streamId: r.stream_id }]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsClient ?? true) await this.client.close();
  }
}

function checkAppend(a: StreamAppend): void {
  if (typeof a.streamId !== 'string' || a.streamId === '') throw new Error('streamId must be a non-empty string');
  const v = a.expectedVersion;
  if (v !== 'any' && !(Number.isInteger(v) && v >= 0)) {
    throw new Error(`stream ${a.streamId}: expectedVersion must be 'any' or an integer >= 0, got ${String(v)}`);
  }
}

function toRecorded(r: EventRow): RecordedEvent {
  return {
    streamId: r.stream_id,
    streamVersion: r.stream_version,
    globalPosition: BigInt(r.global_position),
    type: r.type,
    data: r.data,
    metadata: r.metadata,
    recordedAt: r.recorded_at instanceof Date ? r.recorded_at : new Date(r.recorded_at),
  };
}
