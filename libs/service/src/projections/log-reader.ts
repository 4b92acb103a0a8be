// Where the projector reads the global log from.
import { checkSchemaName, EventStore, GlobalPosition, LedgerStorage, RecordedEvent, SqlExecutor } from '@ledger/event-store';
import { ChargeFields, LogEvent } from './finance-batch';

export interface LogReader {
  /** Events after `after` (exclusive), oldest first, at most `max`, none beyond `upTo` when given. */
  read(after: GlobalPosition, max: number, upTo?: GlobalPosition): Promise<LogEvent[]>;
  /** Position of the newest event readers may see. */
  head(): Promise<GlobalPosition>;
  /**
   * The log is a table of the database the read models live in (the SQL store). When it is not
   * (KurrentDB), the projector keeps a copy of the account events it applies in `<rm>.log_events`,
   * for what the read models join to their events (provenance, the entries' details).
   */
  readonly inDatabase: boolean;
  /**
   * A page as raw text for parsePage, here or on a worker thread (the rebuild's fold thread).
   * Only a reader of the SQL log has it.
   */
  readPage?(after: GlobalPosition, max: number, upTo?: GlobalPosition): Promise<RawPage | undefined>;
}

/** A reader that hands out raw pages (a fold thread can parse them). */
export type PagedLogReader = LogReader & Required<Pick<LogReader, 'readPage'>>;
export const readsPages = (r: LogReader): r is PagedLogReader => typeof r.readPage === 'function';

/**
 * The fastest reader of this storage's log: straight from the SQL table when the log is one
 * (with the store's own latest appends from memory unless `fromMemory` is false), else through
 * the port.
 */
export function logReaderOf(storage: Pick<LedgerStorage, 'store' | 'database' | 'sqlLog'>, o: { fromMemory?: boolean } = {}): LogReader {
  if (!storage.sqlLog) return new StoreLogReader(storage.store);
  return new SqlLogReader(storage.database, storage.sqlLog.schema, o.fromMemory === false ? undefined : storage.sqlLog);
}

/** Through the event-store port (readAll): works with any store. */
export class StoreLogReader implements LogReader {
  readonly inDatabase = false;
  constructor(private readonly store: EventStore) {}

  async read(after: GlobalPosition, max: number, upTo?: GlobalPosition): Promise<LogEvent[]> {
    if (upTo !== undefined && upTo - after < BigInt(max)) max = Number(upTo - after);
    if (max <= 0) return [];
    return logEvents(await this.store.readAll(after, max), upTo);
  }

  head(): Promise<GlobalPosition> {
    return this.store.headPosition();
  }
}

/**
 * Straight from the SQL store's table, in the same database, for speed: a batch comes back as
 * ONE text (string_agg), a line per event and a tab between fields, instead of a row of jsonb
 * fields per event. A UsageCharged event comes as the few fields the read models use, extracted
 * in the database; any other as its whole data (see parsePage for the format).
 *
 * The SQL store numbers events without gaps and its writers commit in position order (a reader
 * that sees position p sees everything below it), so a batch is the position range
 * (after, after + max]: no ORDER BY, no LIMIT, no sort for the planner to get wrong on a table
 * it has no statistics for (PGlite never analyzes). The events are put in place by position;
 * a batch ends at the first position missing (not committed yet), so nothing is ever skipped.
 */
export class SqlLogReader implements LogReader {
  readonly inDatabase = true;
  constructor(
    private readonly db: SqlExecutor,
    /** The store's schema (`ledger`). */
    private readonly ledgerSchema: string,
    /** The store in this process, when it keeps what it appended (SqlEventStore.recentAfter). */
    private readonly recent?: { recentAfter(after: GlobalPosition, max: number): RecordedEvent[] },
  ) {
    checkSchemaName(ledgerSchema);
  }

  async read(after: GlobalPosition, max: number, upTo?: GlobalPosition): Promise<LogEvent[]> {
    const held = this.recent?.recentAfter(after, max);
    if (held?.length) return logEvents(held, upTo);
    const page = await this.readPage(after, max, upTo);
    return page ? parsePage(page) : [];
  }

  /** The page as the database wrote it (parsed by parsePage, here or in a worker thread). */
  async readPage(after: GlobalPosition, max: number, upTo?: GlobalPosition): Promise<RawPage | undefined> {
    let last = after + BigInt(Math.max(0, Math.floor(max)));
    if (upTo !== undefined && upTo < last) last = upTo;
    if (last <= after) return undefined;
    const [row] = await this.db.query<{ page: string | null; n: bigint | string; last: bigint | string | null }>(
      `SELECT count(*) AS n, max(global_position) AS last, string_agg(CASE WHEN type = 'UsageCharged'
         THEN concat_ws(E'\t', global_position, to_json(stream_id), 'UsageCharged', data->>'wallet', coalesce(data->>'periodId', ''), data->>'at',
           data#>>'{usage,kind}', data#>>'{usage,durationMs}', data#>>'{priced,credits}', data->>'overage', data->>'uncovered', data->>'draws')
         ELSE concat_ws(E'\t', global_position, to_json(stream_id), to_json(type), data) END, E'\n') AS page
       FROM ${this.ledgerSchema}.events WHERE global_position > $1::bigint AND global_position <= $2::bigint`,
      [after.toString(), last.toString()],
    );
    if (!row?.page) return undefined;
    const count = Number(row.n);
    return {
      text: row.page,
      after: after.toString(),
      count,
      last: String(row.last),
      contiguous: BigInt(row.last!) - after === BigInt(count),
    };
  }

  async head(): Promise<GlobalPosition> {
    const [row] = await this.db.query<{ head: bigint | string }>(
      `SELECT coalesce(max(global_position), 0) AS head FROM ${this.ledgerSchema}.events`,
    );
    return BigInt(row.head);
  }
}

function logEvents(recorded: RecordedEvent[], upTo?: GlobalPosition): LogEvent[] {
  const out: LogEvent[] = [];
  for (const r of recorded) {
    if (upTo !== undefined && r.globalPosition > upTo) break;
    out.push({ position: r.globalPosition, streamId: r.streamId, type: r.type, data: r.data, recorded: r });
  }
  return out;
}

/** A page of the log as one text (strings only: it may cross to a worker thread). */
export interface RawPage {
  text: string;
  /** The position the page follows (decimal). */
  after: string;
  count: number;
  /** The page's last position (decimal). */
  last: string;
  /** No position missing between `after` and `last` (none still uncommitted). */
  contiguous: boolean;
}

const CHARGE_FIELDS = 12;
const OTHER_FIELDS = 4;

/**
 * The events of a page, in position order, up to the first position missing (not committed yet).
 *
 * A line per event, fields separated by tabs, in no particular order:
 *   position, stream id (JSON), UsageCharged, wallet, period id ('' for null), at, usage kind,
 *     durationMs, credits, overage, uncovered, draws (JSON)
 *   position, stream id (JSON), type (JSON), data (JSON)
 * JSON text as PostgreSQL writes it has no raw tab or newline in it. The charge fields are plain
 * text written by the ledger itself (ids, instants, numbers); a line that does not have its
 * number of fields is refused rather than misread.
 */
export function parsePage(raw: RawPage): LogEvent[] {
  const after = BigInt(raw.after);
  // Positions are exact as numbers below 2^53 (some 285 years at a million events a second).
  const base = Number(after);
  const slots: (LogEvent | undefined)[] = new Array(Number(BigInt(raw.last) - after));
  const streams = new Map<string, string>(); // stream ids repeat: each JSON text parsed once
  const streamOf = (json: string) => {
    let id = streams.get(json);
    if (id === undefined) streams.set(json, (id = jsonString(json)));
    return id;
  };
  for (const line of raw.text.split('\n')) {
    const f = line.split('\t');
    const at = Number(f[0]) - base - 1;
    const position = after + BigInt(at + 1);
    if (f[2] === 'UsageCharged') {
      // A field missing (SQL null: concat_ws leaves it out) or with a tab in it changes the count.
      if (f.length !== CHARGE_FIELDS)
        throw new Error(`log page after ${raw.after}: a UsageCharged line with ${f.length} fields: ${line.slice(0, 200)}`);
      slots[at] = {
        position,
        streamId: streamOf(f[1]),
        type: 'UsageCharged',
        data: null,
        charge: {
          wallet: f[3],
          periodId: f[4] === '' ? null : f[4],
          at: f[5],
          usageKind: f[6],
          durationMs: Number(f[7]),
          credits: f[8],
          overage: f[9],
          uncovered: f[10],
          draws: JSON.parse(f[11]) as ChargeFields['draws'],
        },
      };
    } else {
      if (f.length !== OTHER_FIELDS) throw new Error(`log page after ${raw.after}: a line with ${f.length} fields: ${line.slice(0, 200)}`);
      slots[at] = { position, streamId: streamOf(f[1]), type: jsonString(f[2]), data: JSON.parse(f[3]) as Record<string, unknown> };
    }
  }
  const out: LogEvent[] = [];
  for (const e of slots) {
    if (!e) break; // not committed yet: the next read starts here
    out.push(e);
  }
  return out;
}

/** A JSON string's value: the text between the quotes when nothing in it is escaped. */
function jsonString(json: string): string {
  return json.indexOf('\\') < 0 ? json.slice(1, -1) : (JSON.parse(json) as string);
}
