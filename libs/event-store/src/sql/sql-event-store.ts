import {
  AppendResult,
  DedupeRecord,
  DuplicateKey,
  EventStore,
  GlobalPosition,
  LogDigest,
  RecordedEvent,
  StreamAppend,
  WrongExpectedVersion,
} from '../port';
import { canonicalJson, ChainFold, eventText, GENESIS, linkHash, nextDigest } from '../chain';
import {
  ChainMismatch,
  DedupeRecordAt,
  ImportBatch,
  LogImportTarget,
  migrationFromJson,
  MigrationMoved,
  MigrationState,
  migrationToJson,
  sameProgress,
} from '../log-import';
import { RecentEvents } from '../recent-events';
import { repeatedKeys } from '../repeated-keys';
import { checkSchemaName, LOCK_CLASS, lockKey, migrationStatements, migrationTable } from './schema';
import { isUniqueViolation, SqlClient, SqlExecutor } from './sql-client';

export interface SqlEventStoreOptions {
  /** Schema of the tables (default `ledger`). */
  schema?: string;
  /** close() closes the client too (default true). */
  ownsClient?: boolean;
  /**
   * How many of its own latest events this store keeps in memory for readAll (default 10,000;
   * 0: none). Readers in the same process then skip reading back and parsing what it just wrote,
   * as long as they are no further behind. 30,000 was tried with the projections' gathering: the
   * memory benchmark's peak RSS with a million accounts touched went from under to over 1 GiB
   * (1,090 MiB in bench/RESULTS.md), so it stays at 10,000.
   */
  recentEvents?: number;
  /** Test hook: runs inside every append transaction, after the writes, just before COMMIT. */
  beforeCommit?: (appends: readonly StreamAppend[]) => Promise<void>;
  /**
   * Open a schema that holds an unfinished migration (`npm run migrate` itself). Anything else is
   * refused such a schema: its log is only part of the source's.
   */
  importing?: boolean;
  /** Test hook: runs inside every import transaction, after the writes, just before COMMIT. */
  beforeImportCommit?: (batch: ImportBatch) => Promise<void>;
}

/** Events written before the chain existed that opening the store hashed (see backfill). */
export interface Backfill {
  /** First and last position hashed. */
  from: GlobalPosition;
  to: GlobalPosition;
  events: number;
}

/** Totals over a store's appends of the time they held the writer lock (see SqlEventStore.lockStats). */
export interface WriterLockStats {
  appends: number;
  events: number;
  heldMs: number;
}

/** One event row in the append document (positions as strings: JSON numbers stop at 2^53). */
interface EventInsert {
  p: string;
  s: string;
  v: number;
  t: string;
  /** Canonical JSON of data and metadata (the text the hash covers), put in the document as they are. */
  d: string;
  m: string;
  h: string;
  g: string;
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
  hash: string | null;
  log_digest: string | null;
}

/** The columns of an event, hashes as hex. */
const COLUMNS = `global_position, stream_id, stream_version, type, data, metadata, recorded_at,
  encode(hash, 'hex') AS hash, encode(log_digest, 'hex') AS log_digest`;

/** Rows per statement of the backfill. */
const BACKFILL_PAGE = 5000;

/**
 * The event store on PostgreSQL (server or PGlite).
 *
 * Global order: every append takes one advisory transaction lock before it reads the head and
 * numbers its events, so writers commit one at a time in position order. PostgreSQL releases the
 * lock only after the commit is visible, so a reader that sees position p sees everything below p:
 * readAll never skips an event that commits late, and positions have no gaps.
 *
 * Tamper evidence (chain.ts): under the same lock each event gets its hash, chained to the one
 * before it in its stream (`events.hash`, the stream's last in `streams.hash`), and the log's
 * running digest through it (`events.log_digest`); `recorded_at` is the transaction's start to the
 * millisecond, the value the digest covers. Events of a store created before the chain are hashed
 * when it opens (backfill), and by the next append if a writer without the chain wrote some since.
 */
export class SqlEventStore implements EventStore, LogImportTarget {
  readonly schema: string;
  private readonly writerLock: string;
  private closed = false;
  private readonly recent: RecentEvents;
  /** What opening this store hashed of events written before the chain (undefined: nothing to do). */
  backfilled?: Backfill;
  /**
   * What this store's appends held the writer lock for: from the moment it was granted to the end
   * of the COMMIT that frees it (benchmarks and metrics read it: the lock's share of the time).
   */
  readonly lockStats: WriterLockStats = { appends: 0, events: 0, heldMs: 0 };

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

  get description(): string {
    return `SQL store, schema ${this.schema}`;
  }

  /** A store whose tables exist (migrated), its chain complete. */
  static async open(client: SqlClient, options?: SqlEventStoreOptions): Promise<SqlEventStore> {
    const store = new SqlEventStore(client, options);
    await store.migrate();
    return store;
  }

  /**
   * Creates the schema and tables when missing (and the chain's columns in a store made before
   * them), then hashes what was written without the chain. Safe to run concurrently from several
   * processes. Refuses a schema an unfinished migration is filling, unless `importing`.
   */
  async migrate(): Promise<void> {
    await this.client.transaction(async (tx) => {
      // Concurrent CREATE ... IF NOT EXISTS can still collide on the catalog: take turns.
      await tx.query(`SELECT pg_advisory_xact_lock(${LOCK_CLASS}, ${lockKey('migrate', this.schema)})`);
      for (const statement of migrationStatements(this.schema)) await tx.query(statement);
    });
    if (!this.options.importing) {
      const migration = await this.migrationState();
      if (migration && !migration.done) {
        throw new Error(
          `schema ${this.schema} is the target of an unfinished migration from ${migration.source} ` +
            `(${migration.events} event${migration.events === 1 ? '' : 's'} copied, through position ${migration.sourcePosition} of ${migration.sourceHead}): ` +
            'its log is only part of that store; finish it with `npm run migrate -- --from ... --to ... --resume`',
        );
      }
    }
    const [head] = await this.client.query<{ unhashed: boolean }>(
      `SELECT log_digest IS NULL AS unhashed FROM ${this.schema}.events ORDER BY global_position DESC LIMIT 1`,
    );
    if (head?.unhashed)
      this.backfilled = await this.client.transaction((tx) => this.backfillIn(tx), { beginWith: `SELECT ${this.writerLock}` });
  }

  /**
   * Hashes the events after the last one that has a digest (all of them in a store made before the
   * chain), in log order, under the writer lock. The chain only ever grows at its end: an event
   * without a hash before one that has a digest is left as it is, for the audit to name.
   */
  private async backfillIn(tx: SqlExecutor): Promise<Backfill | undefined> {
    const s = this.schema;
    const [last] = await tx.query<{ p: bigint | string; g: string }>(
      `SELECT global_position AS p, encode(log_digest, 'hex') AS g FROM ${s}.events WHERE log_digest IS NOT NULL
       ORDER BY global_position DESC LIMIT 1`,
    );
    const from = last ? BigInt(last.p) : 0n;
    const fold = new ChainFold({ digest: last?.g ?? GENESIS, position: from });
    const touched = new Set<string>();
    let first: GlobalPosition | undefined;
    for (;;) {
      const rows = await tx.query<EventRow>(
        `SELECT ${COLUMNS} FROM ${s}.events WHERE global_position > $1::bigint ORDER BY global_position LIMIT ${BACKFILL_PAGE}`,
        [String(fold.position)],
      );
      if (rows.length === 0) break;
      const unseen = [...new Set(rows.map((r) => r.stream_id))].filter((id) => !fold.streams.has(id));
      if (unseen.length > 0 && from > 0n) {
        // Where these streams' chains stand in the hashed part of the log.
        const heads = await tx.query<{ stream_id: string; stream_version: number; hash: string | null }>(
          `SELECT DISTINCT ON (stream_id) stream_id, stream_version, encode(hash, 'hex') AS hash FROM ${s}.events
           WHERE stream_id = ANY($1::text[]) AND global_position <= $2::bigint ORDER BY stream_id, stream_version DESC`,
          [unseen, String(from)],
        );
        for (const h of heads) {
          if (h.hash === null) {
            throw new Error(
              `cannot hash the events after position ${from}: stream ${h.stream_id} version ${h.stream_version} has no hash ` +
                'though later events are chained; run `npm run audit -- --verify-chain`',
            );
          }
          fold.streams.set(h.stream_id, { version: h.stream_version, hash: h.hash });
        }
      }
      const updates = rows.map((r) => {
        const e = toRecorded(r);
        first ??= e.globalPosition;
        touched.add(e.streamId);
        const hash = fold.add(e);
        return { p: String(e.globalPosition), h: hash, g: fold.digest };
      });
      await tx.query(
        `UPDATE ${s}.events e SET hash = decode(x.h, 'hex'), log_digest = decode(x.g, 'hex')
         FROM jsonb_to_recordset($1::jsonb) AS x(p bigint, h text, g text) WHERE e.global_position = x.p`,
        [JSON.stringify(updates)],
      );
    }
    if (first === undefined) return undefined;
    const heads = [...touched].map((id) => [id, fold.streams.get(id)!.hash]);
    for (let i = 0; i < heads.length; i += BACKFILL_PAGE) {
      await tx.query(
        `UPDATE ${s}.streams st SET hash = decode(x ->> 1, 'hex') FROM jsonb_array_elements($1::jsonb) AS x WHERE st.stream_id = x ->> 0`,
        [JSON.stringify(heads.slice(i, i + BACKFILL_PAGE))],
      );
    }
    return { from: first, to: fold.position, events: fold.events };
  }

  async append(appends: StreamAppend[]): Promise<AppendResult[]> {
    appends.forEach(checkAppend);
    if (appends.length === 0) return [];
    const keys = appends.flatMap((a) => (a.dedupe ?? []).map((d) => d.key));
    const repeated = repeatedKeys(keys);
    if (repeated.length > 0) throw new DuplicateKey(repeated);
    // The costly part of the hashes, before the lock: the canonical JSON of data and metadata.
    const texts = appends.map((a) => a.events.map((e) => [canonicalJson(e.data), canonicalJson(e.metadata ?? {})] as const));
    try {
      // Writers take turns; the lock goes with BEGIN, so the next statement's snapshot
      // (READ COMMITTED: one per statement) already sees the previous writer's commit.
      let granted = 0;
      const { results, recorded } = await this.client.transaction(
        (tx) => {
          granted = performance.now(); // BEGIN and the lock came back: it is held from here
          return this.appendIn(tx, appends, keys, texts);
        },
        { beginWith: `SELECT ${this.writerLock}` },
      );
      const stats = this.lockStats;
      stats.heldMs += performance.now() - granted;
      stats.appends++;
      stats.events += recorded.length;
      this.recent.add(recorded); // committed: these rows are now the log at these positions
      return results;
    } catch (err) {
      throw await this.translate(err, appends, keys);
    }
  }

  /** The head with its digest, the streams' versions and chain heads, the dedupe keys already there, the time to record. */
  private async stateOf(tx: SqlExecutor, streamIds: string[], keys: string[]) {
    const s = this.schema;
    const [state] = await tx.query<{
      head: bigint | string | null;
      digest: string | null;
      versions: [string, number, string | null][];
      dups: string[];
      at: Date | string;
    }>(
      `SELECT (SELECT global_position FROM ${s}.events ORDER BY global_position DESC LIMIT 1) AS head,
        (SELECT encode(log_digest, 'hex') FROM ${s}.events ORDER BY global_position DESC LIMIT 1) AS digest,
        (SELECT coalesce(json_agg(json_build_array(stream_id, version, encode(hash, 'hex'))), '[]') FROM ${s}.streams
          WHERE stream_id = ANY($1::text[])) AS versions,
        (SELECT coalesce(array_agg(key), '{}') FROM ${s}.dedupe WHERE key = ANY($2::text[])) AS dups,
        date_trunc('milliseconds', now()) AS at`,
      [streamIds, keys],
    );
    const head = state.head === null ? 0n : BigInt(state.head);
    const recordedAt = state.at instanceof Date ? state.at : new Date(state.at);
    return { head, digest: head === 0n ? GENESIS : state.digest, versions: state.versions, dups: state.dups, recordedAt };
  }

  private async appendIn(
    tx: SqlExecutor,
    appends: StreamAppend[],
    keys: string[],
    texts: (readonly [string, string])[][],
  ): Promise<{ results: AppendResult[]; recorded: RecordedEvent[] }> {
    const s = this.schema;
    const streamIds = [...new Set(appends.map((a) => a.streamId))];
    let state = await this.stateOf(tx, streamIds, keys);
    // Keys before versions: a retried append then reports DuplicateKey, which callers treat as done.
    if (state.dups.length > 0) {
      const dups = new Set(state.dups);
      throw new DuplicateKey(keys.filter((k) => dups.has(k)));
    }
    if (state.digest === null) {
      // A writer without the chain (an older version of the ledger) appended since this store opened.
      await this.backfillIn(tx);
      state = await this.stateOf(tx, streamIds, keys);
    }

    const streams = new Map(state.versions.map(([id, version, hash]) => [id, { version, hash }]));
    const { head, recordedAt } = state;
    let digest = state.digest!;
    const rows: EventInsert[] = [];
    const dedupe: DedupeInsert[] = [];
    const results: AppendResult[] = [];
    const touched = new Set<string>(); // streams that get events
    let count = 0;
    for (let k = 0; k < appends.length; k++) {
      const a = appends[k];
      const current = streams.get(a.streamId) ?? { version: 0, hash: GENESIS };
      const actual = current.version;
      if (a.expectedVersion !== 'any' && a.expectedVersion !== actual) {
        throw new WrongExpectedVersion(a.streamId, a.expectedVersion, actual);
      }
      let link = current.hash;
      if (link === null && a.events.length > 0) {
        throw new Error(
          `stream ${a.streamId} is at version ${actual} but has no chain head (streams.hash): its hashes were removed, ` +
            'or a writer without the chain wrote it; run `npm run audit -- --verify-chain`',
        );
      }
      for (let i = 0; i < a.events.length; i++) {
        const e = a.events[i];
        const [d, m] = texts[k][i];
        const v = actual + i + 1;
        link = linkHash(link!, eventText(a.streamId, v, e.type, d, m));
        digest = nextDigest(digest, link, recordedAt);
        count++;
        rows.push({ p: String(head + BigInt(count)), s: a.streamId, v, t: e.type, d, m, h: link, g: digest });
      }
      const nextVersion = actual + a.events.length;
      streams.set(a.streamId, { version: nextVersion, hash: link });
      if (a.events.length > 0) touched.add(a.streamId);
      const lastPosition = a.events.length > 0 ? head + BigInt(count) : undefined;
      for (const d of a.dedupe ?? []) {
        dedupe.push({ k: d.key, f: d.fingerprint, s: a.streamId, p: lastPosition === undefined ? null : String(lastPosition) });
      }
      results.push(
        lastPosition === undefined ? { streamId: a.streamId, nextVersion } : { streamId: a.streamId, nextVersion, lastPosition },
      );
    }
    const heads = [...touched].map((id) => [id, streams.get(id)!.version, streams.get(id)!.hash]);

    // One statement: thousands of events cost one round trip. Every row goes in one JSON document
    // (one parameter), written here around the canonical JSON already made for the hashes:
    // PostgreSQL parses it once, and no array literal has to escape each event's JSON text.
    await tx.query(
      `WITH doc AS (SELECT $1::jsonb AS j),
       ev AS (
         INSERT INTO ${s}.events (global_position, stream_id, stream_version, type, data, metadata, recorded_at, hash, log_digest)
         SELECT x.p, x.s, x.v, x.t, x.d, x.m, date_trunc('milliseconds', now()), decode(x.h, 'hex'), decode(x.g, 'hex')
         FROM doc, jsonb_to_recordset(doc.j -> 'e') AS x(p bigint, s text, v int, t text, d jsonb, m jsonb, h text, g text)),
       st AS (
         INSERT INTO ${s}.streams (stream_id, version, hash)
         SELECT x ->> 0, (x ->> 1)::int, decode(x ->> 2, 'hex') FROM doc, jsonb_array_elements(doc.j -> 's') AS x
         ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, hash = excluded.hash),
       dd AS (
         INSERT INTO ${s}.dedupe (key, fingerprint, stream_id, global_position)
         SELECT x.k, x.f, x.s, x.p FROM doc, jsonb_to_recordset(doc.j -> 'd') AS x(k text, f text, s text, p bigint))
       SELECT 1`,
      [appendDocument(rows, heads, dedupe)],
    );
    await this.options.beforeCommit?.(appends);
    const recorded: RecordedEvent[] = [];
    let i = 0;
    for (const a of appends) {
      for (const e of a.events) {
        const r = rows[i++];
        recorded.push({
          streamId: r.s,
          streamVersion: r.v,
          globalPosition: BigInt(r.p),
          type: r.t,
          data: e.data,
          metadata: e.metadata ?? {},
          recordedAt,
          hash: r.h,
          logDigest: r.g,
        });
      }
    }
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
      `SELECT ${COLUMNS} FROM ${this.schema}.events WHERE stream_id = $1 AND stream_version >= $2
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
      `SELECT ${COLUMNS} FROM ${this.schema}.events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_version`,
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
      `SELECT ${COLUMNS} FROM ${this.schema}.events WHERE global_position > $1::bigint
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

  async logDigest(at?: GlobalPosition): Promise<LogDigest | undefined> {
    const [row] = await this.client.query<{ p: bigint | string; g: string | null }>(
      at === undefined
        ? `SELECT global_position AS p, encode(log_digest, 'hex') AS g FROM ${this.schema}.events ORDER BY global_position DESC LIMIT 1`
        : `SELECT global_position AS p, encode(log_digest, 'hex') AS g FROM ${this.schema}.events WHERE global_position <= $1::bigint
           ORDER BY global_position DESC LIMIT 1`,
      at === undefined ? [] : [String(at)],
    );
    if (!row) return { position: 0n, digest: GENESIS };
    return row.g === null ? undefined : { position: BigInt(row.p), digest: row.g };
  }

  async findDedupe(keys: string[]): Promise<Map<string, DedupeRecord>> {
    if (keys.length === 0) return new Map();
    const rows = await this.client.query<{ key: string; fingerprint: string; stream_id: string }>(
      `SELECT key, fingerprint, stream_id FROM ${this.schema}.dedupe WHERE key = ANY($1::text[])`,
      [keys],
    );
    return new Map(rows.map((r) => [r.key, { key: r.key, fingerprint: r.fingerprint, streamId: r.stream_id }]));
  }

  /**
   * Dedupe keys in key order after `afterKey` (null: from the first), at most `max`, leaving out
   * keys of events after `upTo` (written after a migration started): what a migration copies.
   */
  async readDedupe(afterKey: string | null, max: number, upTo?: GlobalPosition): Promise<DedupeRecordAt[]> {
    // Two texts rather than `$1 IS NULL OR key > $1`: a plan of the latter cannot start at the key in the index.
    const rows = await this.client.query<{ key: string; fingerprint: string; stream_id: string; global_position: bigint | string | null }>(
      `SELECT key, fingerprint, stream_id, global_position FROM ${this.schema}.dedupe
       WHERE ${afterKey === null ? '' : 'key > $2::text AND '}($1::bigint IS NULL OR global_position IS NULL OR global_position <= $1::bigint)
       ORDER BY key LIMIT ${Math.max(1, Math.floor(max))}`,
      afterKey === null ? [upTo === undefined ? null : String(upTo)] : [upTo === undefined ? null : String(upTo), afterKey],
    );
    return rows.map((r) => ({
      key: r.key,
      fingerprint: r.fingerprint,
      streamId: r.stream_id,
      globalPosition: r.global_position === null ? null : BigInt(r.global_position),
    }));
  }

  /** Every stream's version and chain head as the streams table holds them, in pages by stream id. */
  async readStreamHeads(afterId: string | null, max: number): Promise<{ streamId: string; version: number; hash: string | null }[]> {
    const rows = await this.client.query<{ stream_id: string; version: number; hash: string | null }>(
      `SELECT stream_id, version, encode(hash, 'hex') AS hash FROM ${this.schema}.streams
       ${afterId === null ? '' : 'WHERE stream_id > $1::text'} ORDER BY stream_id LIMIT ${Math.max(1, Math.floor(max))}`,
      afterId === null ? [] : [afterId],
    );
    return rows.map((r) => ({ streamId: r.stream_id, version: r.version, hash: r.hash }));
  }

  // ---- LogImportTarget: npm run migrate into this store ----

  async migrationState(): Promise<MigrationState | undefined> {
    return readMigration(this.client, this.schema);
  }

  async isEmpty(): Promise<boolean> {
    const [row] = await this.client.query<{ empty: boolean }>(
      `SELECT NOT EXISTS (SELECT 1 FROM ${this.schema}.events) AND NOT EXISTS (SELECT 1 FROM ${this.schema}.dedupe) AS empty`,
    );
    return row.empty;
  }

  /**
   * The source's events at their own positions (a SQL source numbers its log without gaps from 1,
   * and the target started empty), with their recorded times, each hash and digest computed here
   * and compared with the source's; then the keys; then the progress: one transaction under the
   * writer lock.
   */
  async importBatch(batch: ImportBatch): Promise<void> {
    const s = this.schema;
    await this.client.transaction(
      async (tx) => {
        await tx.query(migrationTable(s));
        const held = await readMigration(tx, s);
        if (!sameProgress(held, batch.expected)) {
          throw new MigrationMoved(
            `the migration recorded in schema ${s} is not where this run left it (another run at the same time?): ` +
              `${held ? `through position ${held.sourcePosition}, ${held.keys} keys` : 'none'}`,
          );
        }
        const streamIds = [...new Set(batch.events.map((e) => e.streamId))];
        const state = await this.stateOf(tx, streamIds, []);
        if (state.digest === null) throw new Error(`schema ${s}: the event at the head has no digest`);
        const streams = new Map(state.versions.map(([id, version, hash]) => [id, { version, hash }]));
        let digest = state.digest;
        let position = state.head;
        const rows: (Omit<EventInsert, 'd' | 'm'> & { d: Record<string, unknown>; m: Record<string, unknown>; r: string })[] = [];
        for (const e of batch.events) {
          if (e.globalPosition !== position + 1n) {
            throw new ChainMismatch(e, 'order', `comes after position ${position} of the target: the copy would not keep its position`);
          }
          position = e.globalPosition;
          const current = streams.get(e.streamId) ?? { version: 0, hash: GENESIS };
          if (e.streamVersion !== current.version + 1) {
            throw new ChainMismatch(e, 'order', `follows version ${current.version} of its stream on the target`);
          }
          if (current.hash === null) throw new ChainMismatch(e, 'hash', 'the target holds no hash of the event before it');
          const hash = linkHash(
            current.hash,
            eventText(e.streamId, e.streamVersion, e.type, canonicalJson(e.data), canonicalJson(e.metadata)),
          );
          if (e.hash !== undefined && e.hash !== hash) {
            throw new ChainMismatch(e, 'hash', `its hash on the source is ${e.hash}, its bytes make ${hash} here`);
          }
          digest = nextDigest(digest, hash, e.recordedAt);
          if (e.logDigest !== undefined && e.logDigest !== digest) {
            throw new ChainMismatch(e, 'digest', `the log's digest through it is ${e.logDigest} on the source, ${digest} here`);
          }
          streams.set(e.streamId, { version: e.streamVersion, hash });
          rows.push({
            p: String(e.globalPosition),
            s: e.streamId,
            v: e.streamVersion,
            t: e.type,
            d: e.data,
            m: e.metadata,
            r: e.recordedAt.toISOString(),
            h: hash,
            g: digest,
          });
        }
        const heads = streamIds.map((id) => [id, streams.get(id)!.version, streams.get(id)!.hash]);
        const keys = batch.keys.map((k) => ({
          k: k.key,
          f: k.fingerprint,
          s: k.streamId,
          p: k.globalPosition === null ? null : String(k.globalPosition),
        }));
        await tx.query(
          `WITH doc AS (SELECT $1::jsonb AS j),
           ev AS (
             INSERT INTO ${s}.events (global_position, stream_id, stream_version, type, data, metadata, recorded_at, hash, log_digest)
             SELECT x.p, x.s, x.v, x.t, x.d, x.m, x.r, decode(x.h, 'hex'), decode(x.g, 'hex')
             FROM doc, jsonb_to_recordset(doc.j -> 'e') AS x(p bigint, s text, v int, t text, d jsonb, m jsonb, r timestamptz, h text, g text)),
           st AS (
             INSERT INTO ${s}.streams (stream_id, version, hash)
             SELECT x ->> 0, (x ->> 1)::int, decode(x ->> 2, 'hex') FROM doc, jsonb_array_elements(doc.j -> 's') AS x
             ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, hash = excluded.hash),
           dd AS (
             INSERT INTO ${s}.dedupe (key, fingerprint, stream_id, global_position)
             SELECT x.k, x.f, x.s, x.p FROM doc, jsonb_to_recordset(doc.j -> 'd') AS x(k text, f text, s text, p bigint)),
           mg AS (
             INSERT INTO ${s}.migration (one, state) SELECT true, doc.j -> 'g' FROM doc
             ON CONFLICT (one) DO UPDATE SET state = excluded.state)
           SELECT 1 FROM doc`,
          [JSON.stringify({ e: rows, s: heads, d: keys, g: migrationToJson(batch.next) })],
        );
        await this.options.beforeImportCommit?.(batch);
      },
      { beginWith: `SELECT ${this.writerLock}` },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsClient ?? true) await this.client.close();
  }
}

/** The migration recorded in `schema` (its table is made by the first batch a migration imports). */
async function readMigration(db: SqlExecutor, schema: string): Promise<MigrationState | undefined> {
  const [table] = await db.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [`${schema}.migration`]);
  if (table.t === null) return undefined;
  const [row] = await db.query<{ state: Parameters<typeof migrationFromJson>[0] }>(`SELECT state FROM ${schema}.migration`);
  return row ? migrationFromJson(row.state) : undefined;
}

/** The append's rows as one JSON document: `d` and `m` are JSON texts already, put in as they are. */
function appendDocument(rows: EventInsert[], heads: unknown[], dedupe: DedupeInsert[]): string {
  let e = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    e += `${i > 0 ? ',' : ''}{"p":"${r.p}","s":${JSON.stringify(r.s)},"v":${r.v},"t":${JSON.stringify(r.t)},"d":${r.d},"m":${r.m},"h":"${r.h}","g":"${r.g}"}`;
  }
  return `{"e":[${e}],"s":${JSON.stringify(heads)},"d":${JSON.stringify(dedupe)}}`;
}

function checkAppend(a: StreamAppend): void {
  if (typeof a.streamId !== 'string' || a.streamId === '') throw new Error('streamId must be a non-empty string');
  const v = a.expectedVersion;
  if (v !== 'any' && !(Number.isInteger(v) && v >= 0)) {
    throw new Error(`stream ${a.streamId}: expectedVersion must be 'any' or an integer >= 0, got ${String(v)}`);
  }
}

function toRecorded(r: EventRow): RecordedEvent {
  const e: RecordedEvent = {
    streamId: r.stream_id,
    streamVersion: r.stream_version,
    globalPosition: BigInt(r.global_position),
    type: r.type,
    data: r.data,
    metadata: r.metadata,
    recordedAt: r.recorded_at instanceof Date ? r.recorded_at : new Date(r.recorded_at),
  };
  if (r.hash !== null) e.hash = r.hash;
  if (r.log_digest !== null) e.logDigest = r.log_digest;
  return e;
}
