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
import { repeatedKeys } from '../repeated-keys';
import { checkSchemaName, LOCK_CLASS, lockKey, migrationStatements } from './schema';
import { isUniqueViolation, SqlClient, SqlExecutor } from './sql-client';

export interface SqlEventStoreOptions {
  /** Schema of the tables (default `ledger`). */
  schema?: string;
  /** close() closes the client too (default true). */
  ownsClient?: boolean;
  /** Test hook: runs inside every append transaction, after the writes, just before COMMIT. */
  beforeCommit?: (appends: readonly StreamAppend[]) => Promise<void>;
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

  constructor(
    private readonly client: SqlClient,
    private readonly options: SqlEventStoreOptions = {},
  ) {
    this.schema = checkSchemaName(options.schema ?? 'ledger');
    this.writerLock = `pg_advisory_xact_lock(${LOCK_CLASS}, ${lockKey('append', this.schema)})`;
  }

  /** The database the log lives in: read models and schedules keep their tables there too. */
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
      return await this.client.transaction((tx) => this.appendIn(tx, appends, keys), { beginWith: `SELECT ${this.writerLock}` });
    } catch (err) {
      throw await this.translate(err, appends, keys);
    }
  }

  private async appendIn(tx: SqlExecutor, appends: StreamAppend[], keys: string[]): Promise<AppendResult[]> {
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
    const ev = { stream: [] as string[], version: [] as number[], type: [] as string[], data: [] as string[], meta: [] as string[] };
    const dd = { key: [] as string[], fingerprint: [] as string[], stream: [] as string[], position: [] as (string | null)[] };
    const results: AppendResult[] = [];
    const touched = new Set<string>(); // streams that get events
    for (const a of appends) {
      const actual = versions.get(a.streamId) ?? 0;
      if (a.expectedVersion !== 'any' && a.expectedVersion !== actual) {
        throw new WrongExpectedVersion(a.streamId, a.expectedVersion, actual);
      }
      a.events.forEach((e, i) => {
        ev.stream.push(a.streamId);
        ev.version.push(actual + i + 1);
        ev.type.push(e.type);
        ev.data.push(JSON.stringify(e.data));
        ev.meta.push(JSON.stringify(e.metadata ?? {}));
      });
      const nextVersion = actual + a.events.length;
      versions.set(a.streamId, nextVersion);
      if (a.events.length > 0) touched.add(a.streamId);
      const lastPosition = a.events.length > 0 ? head + BigInt(ev.stream.length) : undefined;
      for (const d of a.dedupe ?? []) {
        dd.key.push(d.key);
        dd.fingerprint.push(d.fingerprint);
        dd.stream.push(a.streamId);
        dd.position.push(lastPosition === undefined ? null : String(lastPosition));
      }
      results.push(lastPosition === undefined ? { streamId: a.streamId, nextVersion } : { streamId: a.streamId, nextVersion, lastPosition });
    }

    // One statement, multi-row inserts from arrays: thousands of events cost one round trip.
    await tx.query(
      `WITH ev AS (
         INSERT INTO ${s}.events (global_position, stream_id, stream_version, type, data, metadata)
         SELECT $1::bigint + u.ord, u.sid, u.ver, u.typ, u.dat, u.met
         FROM unnest($2::text[], $3::int[], $4::text[], $5::jsonb[], $6::jsonb[])
           WITH ORDINALITY AS u(sid, ver, typ, dat, met, ord)),
       st AS (
         INSERT INTO ${s}.streams (stream_id, version)
         SELECT * FROM unnest($7::text[], $8::int[])
         ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version),
       dd AS (
         INSERT INTO ${s}.dedupe (key, fingerprint, stream_id, global_position)
         SELECT * FROM unnest($9::text[], $10::text[], $11::text[], $12::bigint[]))
       SELECT 1`,
      [
        String(head), ev.stream, ev.version, ev.type, ev.data, ev.meta,
        [...touched], [...touched].map((id) => versions.get(id)!),
        dd.key, dd.fingerprint, dd.stream, dd.position,
      ],
    );
    await this.options.beforeCommit?.(appends);
    return results;
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
          `SELECT coalesce(max(stream_version), 0) AS version FROM ${this.schema}.events WHERE stream_id = $1`, [a.streamId]);
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

  async readAll(after: GlobalPosition, maxCount: number): Promise<RecordedEvent[]> {
    if (maxCount <= 0) return [];
    const rows = await this.client.query<EventRow>(
      `SELECT * FROM ${this.schema}.events WHERE global_position > $1::bigint
       ORDER BY global_position LIMIT $2`,
      [String(after), Math.floor(maxCount)],
    );
    return rows.map(toRecorded);
  }

  async headPosition(): Promise<GlobalPosition> {
    const [row] = await this.client.query<{ head: bigint | string }>(
      `SELECT coalesce(max(global_position), 0) AS head FROM ${this.schema}.events`);
    return BigInt(row.head);
  }

  async findDedupe(keys: string[]): Promise<Map<string, DedupeRecord>> {
    if (keys.length === 0) return new Map();
    const rows = await this.client.query<{ key: string; fingerprint: string; stream_id: string }>(
      `SELECT key, fingerprint, stream_id FROM ${this.schema}.dedupe WHERE key = ANY($1::text[])`, [keys]);
    return new Map(rows.map((r) => [r.key, { key: r.key, fingerprint: r.fingerprint, streamId: r.stream_id }]));
  }

  async loadCheckpoint(name: string): Promise<GlobalPosition> {
    const [row] = await this.client.query<{ position: bigint | string }>(
      `SELECT position FROM ${this.schema}.checkpoints WHERE name = $1`, [name]);
    return row ? BigInt(row.position) : 0n;
  }

  async storeCheckpoint(name: string, position: GlobalPosition): Promise<void> {
    await this.client.query(
      `INSERT INTO ${this.schema}.checkpoints (name, position) VALUES ($1, $2::bigint)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
      [name, String(position)],
    );
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
