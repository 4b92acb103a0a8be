// Where the projector reads the global log from.
import { checkSchemaName, EventStore, GlobalPosition, RecordedEvent, SqlExecutor } from '@ledger/event-store';
import { ChargeFields, LogEvent } from './finance-projection';

export interface LogReader {
  /** Events after `after` (exclusive), oldest first, at most `max`, none beyond `upTo` when given. */
  read(after: GlobalPosition, max: number, upTo?: GlobalPosition): Promise<LogEvent[]>;
  /** Position of the newest event readers may see. */
  head(): Promise<GlobalPosition>;
}

/** Through the event-store port (readAll): works with any store. */
export class StoreLogReader implements LogReader {
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
 * ONE JSON document (json_agg), parsed once, instead of a row of jsonb fields per event.
 *
 * The SQL store numbers events without gaps and its writers commit in position order (a reader
 * that sees position p sees everything below it), so a batch is the position range
 * (after, after + max]: no ORDER BY, no LIMIT, no sort for the planner to get wrong on a table
 * it has no statistics for (PGlite never analyzes). The events are put in place by position;
 * a batch ends at the first position missing (not committed yet), so nothing is ever skipped.
 */
export class SqlLogReader implements LogReader {
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
      `SELECT count(*) AS n, max(global_position) AS last, json_agg(CASE WHEN type = 'UsageCharged'
         THEN json_build_array(global_position, stream_id, type, data->'wallet', data->'periodId', data->'at',
           data#>'{usage,kind}', data#>'{usage,durationMs}', data#>'{priced,credits}', data->'overage', data->'uncovered', data->'draws')
         ELSE json_build_array(global_position, stream_id, type, data) END)::text AS page
       FROM ${this.ledgerSchema}.events WHERE global_position > $1::bigint AND global_position <= $2::bigint`,
      [after.toString(), last.toString()],
    );
    if (!row?.page) return undefined;
    const count = Number(row.n);
    return { text: row.page, after: after.toString(), count, last: String(row.last), contiguous: BigInt(row.last!) - after === BigInt(count) };
  }

  async head(): Promise<GlobalPosition> {
    const [row] = await this.db.query<{ head: bigint | string }>(`SELECT coalesce(max(global_position), 0) AS head FROM ${this.ledgerSchema}.events`);
    return BigInt(row.head);
  }
}

function logEvents(recorded: RecordedEvent[], upTo?: GlobalPosition): LogEvent[] {
  const out: LogEvent[] = [];
  for (const r of recorded) {
    if (upTo !== undefined && r.globalPosition > upTo) break;
    out.push({ position: r.globalPosition, streamId: r.streamId, type: r.type, data: r.data });
  }
  return out;
}

/** A page of the log as one JSON text (strings only: it may cross to a worker thread). */
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

/** The events of a page, in position order, up to the first position missing (not committed yet). */
export function parsePage(raw: RawPage): LogEvent[] {
  const after = BigInt(raw.after);
  // Positions come as JSON numbers: exact below 2^53 (2^53 events is some 285 years at a million a second).
  const page = JSON.parse(raw.text) as unknown[][];
  const base = Number(after);
  const slots: (LogEvent | undefined)[] = new Array(Number(BigInt(raw.last) - after));
  for (const x of page) {
    const at = (x[0] as number) - base - 1;
    const position = after + BigInt(at + 1);
    slots[at] = x[2] === 'UsageCharged'
      ? {
          position, streamId: x[1] as string, type: 'UsageCharged', data: null,
          charge: {
            wallet: x[3] as string, periodId: x[4] as string | null, at: x[5] as string, usageKind: x[6] as string,
            durationMs: x[7] as number, credits: x[8] as string, overage: x[9] as string, uncovered: x[10] as string,
            draws: x[11] as ChargeFields['draws'],
          },
        }
      : { position, streamId: x[1] as string, type: x[2] as string, data: x[3] as Record<string, unknown> };
  }
  const out: LogEvent[] = [];
  for (const e of slots) {
    if (!e) break; // not committed yet: the next read starts here
    out.push(e);
  }
  return out;
}
