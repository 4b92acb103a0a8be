// The deadline projection: keeps `process_deadlines` (account id, due_at) = each account's next
// expiry, period end or hold expiry, from the log, set-based. Per batch it folds the events into the net
// change of each lot and period touched (granted, drawn, closed; started, ended), applies those
// changes to the compact summary tables with a handful of array statements, and recomputes the
// deadline of every account touched, in the same transaction as the checkpoint.
//
// The same fold in memory is libs/domain/src/process/deadlines.ts (tested against the account
// decider's own nextDeadline); test/process checks this SQL against it.
import { Inject, Injectable } from '@nestjs/common';
import { isAccountEventType } from '@ledger/domain';
import { EVENT_STORE, EventStore, LEDGER_DATABASE, RecordedEvent, SqlClient, SqlExecutor } from '@ledger/event-store';
import { accountOfStream } from '@ledger/domain';
import { CheckpointedProjection, ProjectionHandler } from '../kit/checkpointed-projection';
import { migrateTables } from '../kit/tables';
import { LEDGER_SCHEMA } from '../store/store-config';
import { PROCESS_CONFIG, ProcessConfig } from './process-config';
import { processTables } from './tables';

interface LotChange {
  accountId: string;
  lotId: string;
  grant?: { expiresAt: string; credits: bigint };
  drawn: bigint;
  closed: boolean;
}
interface PeriodChange {
  accountId: string;
  periodId: string;
  endsAt?: string;
  started: boolean;
  ended: boolean;
}
interface HoldChange {
  accountId: string;
  holdId: string;
  wallet?: string;
  credits?: bigint;
  expiresAt?: string;
  placed: boolean;
  ended: boolean;
}

type Raw = Record<string, any>;

/** The net effect of a batch on lots and periods, and the accounts whose deadline may move. */
export function netChanges(events: RecordedEvent[]) {
  const lots = new Map<string, LotChange>();
  const periods = new Map<string, PeriodChange>();
  const holds = new Map<string, HoldChange>();
  const touched = new Set<string>();
  const hold = (accountId: string, holdId: string) => {
    const k = `${accountId}\u0000${holdId}`;
    let c = holds.get(k);
    if (!c) holds.set(k, (c = { accountId, holdId, placed: false, ended: false }));
    return c;
  };
  const lot = (accountId: string, lotId: string) => {
    const k = `${accountId}\u0000${lotId}`;
    let c = lots.get(k);
    if (!c) lots.set(k, (c = { accountId, lotId, drawn: 0n, closed: false }));
    return c;
  };
  const period = (accountId: string, periodId: string) => {
    const k = `${accountId}\u0000${periodId}`;
    let c = periods.get(k);
    if (!c) periods.set(k, (c = { accountId, periodId, started: false, ended: false }));
    return c;
  };
  for (const r of events) {
    if (!isAccountEventType(r.type)) continue;
    const accountId = accountOfStream(r.streamId);
    if (!accountId) continue;
    const d = r.data as Raw;
    switch (r.type) {
      case 'CreditsGranted':
        lot(accountId, d.lotId).grant = { expiresAt: d.expiresAt, credits: BigInt(d.credits) };
        touched.add(accountId);
        break;
      case 'UsageCharged':
        for (const draw of d.draws as Raw[]) lot(accountId, draw.lotId).drawn += BigInt(draw.credits);
        if ((d.draws as Raw[]).length > 0) touched.add(accountId);
        break;
      case 'LotExpired':
      case 'LotForfeited':
        lot(accountId, d.lotId).closed = true;
        touched.add(accountId);
        break;
      case 'PeriodStarted': {
        const p = period(accountId, d.periodId);
        p.started = true;
        p.endsAt = d.endsAt;
        touched.add(accountId);
        break;
      }
      case 'PeriodEnded':
        period(accountId, d.periodId).ended = true;
        touched.add(accountId);
        break;
      case 'HoldPlaced': {
        const h = hold(accountId, d.holdId);
        h.placed = true;
        h.expiresAt = d.expiresAt;
        h.wallet = d.wallet;
        h.credits = BigInt(d.credits);
        touched.add(accountId);
        break;
      }
      case 'HoldCaptured':
      case 'HoldReleased':
      case 'HoldExpired':
        hold(accountId, d.holdId).ended = true;
        touched.add(accountId);
        break;
    }
  }
  return { lots: [...lots.values()], periods: [...periods.values()], holds: [...holds.values()], touched: [...touched] };
}

export class DeadlineProjectionHandler implements ProjectionHandler {
  readonly name = 'deadlines';
  constructor(private readonly schema: string) {}

  async reset(tx: SqlExecutor): Promise<void> {
    for (const table of ['process_open_lots', 'process_open_periods', 'process_open_holds', 'process_deadlines'])
      await tx.query(`DELETE FROM ${this.schema}.${table}`);
  }

  async apply(tx: SqlExecutor, events: RecordedEvent[]): Promise<void> {
    const s = this.schema;
    const { lots, periods, holds, touched } = netChanges(events);
    if (touched.length === 0) return;

    // Lots granted in this batch: in, with what is left of them (unless closed or drained already).
    const ins = { a: [] as string[], l: [] as string[], e: [] as string[], r: [] as string[] };
    // Lots granted before: drawn on (subtract) and/or closed (out); drained ones go too.
    const upd = { a: [] as string[], l: [] as string[], d: [] as string[] };
    const out = { a: [] as string[], l: [] as string[], closed: [] as boolean[] };
    for (const c of lots) {
      if (c.grant) {
        const left = c.grant.credits - c.drawn;
        if (!c.closed && left > 0n) {
          ins.a.push(c.accountId);
          ins.l.push(c.lotId);
          ins.e.push(c.grant.expiresAt);
          ins.r.push(String(left));
        }
        continue;
      }
      if (!c.closed && c.drawn > 0n) {
        upd.a.push(c.accountId);
        upd.l.push(c.lotId);
        upd.d.push(String(c.drawn));
      }
      if (c.closed || c.drawn > 0n) {
        out.a.push(c.accountId);
        out.l.push(c.lotId);
        out.closed.push(c.closed);
      }
    }
    const pIns = { a: [] as string[], p: [] as string[], e: [] as string[] };
    const pOut = { a: [] as string[], p: [] as string[] };
    for (const c of periods) {
      if (c.started && !c.ended) {
        pIns.a.push(c.accountId);
        pIns.p.push(c.periodId);
        pIns.e.push(c.endsAt!);
      } else if (!c.started && c.ended) {
        pOut.a.push(c.accountId);
        pOut.p.push(c.periodId);
      }
    }

    const hIns = { a: [] as string[], h: [] as string[], w: [] as string[], c: [] as string[], e: [] as string[] };
    const hOut = { a: [] as string[], h: [] as string[] };
    for (const c of holds) {
      if (c.placed && !c.ended) {
        hIns.a.push(c.accountId);
        hIns.h.push(c.holdId);
        hIns.w.push(c.wallet!);
        hIns.c.push(String(c.credits!));
        hIns.e.push(c.expiresAt!);
      } else if (!c.placed && c.ended) {
        hOut.a.push(c.accountId);
        hOut.h.push(c.holdId);
      }
    }

    if (ins.a.length)
      await tx.query(
        `INSERT INTO ${s}.process_open_lots (account_id, lot_id, expires_at, remaining)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[])
       ON CONFLICT (account_id, lot_id) DO NOTHING`,
        [ins.a, ins.l, ins.e, ins.r],
      );
    if (upd.a.length)
      await tx.query(
        `UPDATE ${s}.process_open_lots l SET remaining = l.remaining - d.drawn
       FROM unnest($1::text[], $2::text[], $3::bigint[]) AS d(account_id, lot_id, drawn)
       WHERE l.account_id = d.account_id AND l.lot_id = d.lot_id`,
        [upd.a, upd.l, upd.d],
      );
    if (out.a.length)
      await tx.query(
        `DELETE FROM ${s}.process_open_lots l
       USING unnest($1::text[], $2::text[], $3::boolean[]) AS c(account_id, lot_id, closed)
       WHERE l.account_id = c.account_id AND l.lot_id = c.lot_id AND (c.closed OR l.remaining <= 0)`,
        [out.a, out.l, out.closed],
      );
    if (pIns.a.length)
      await tx.query(
        `INSERT INTO ${s}.process_open_periods (account_id, period_id, ends_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
       ON CONFLICT (account_id, period_id) DO NOTHING`,
        [pIns.a, pIns.p, pIns.e],
      );
    if (pOut.a.length)
      await tx.query(
        `DELETE FROM ${s}.process_open_periods p USING unnest($1::text[], $2::text[]) AS c(account_id, period_id)
       WHERE p.account_id = c.account_id AND p.period_id = c.period_id`,
        [pOut.a, pOut.p],
      );

    if (hIns.a.length)
      await tx.query(
        `INSERT INTO ${s}.process_open_holds (account_id, hold_id, wallet, credits, expires_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::timestamptz[])
       ON CONFLICT (account_id, hold_id) DO NOTHING`,
        [hIns.a, hIns.h, hIns.w, hIns.c, hIns.e],
      );
    if (hOut.a.length)
      await tx.query(
        `DELETE FROM ${s}.process_open_holds h USING unnest($1::text[], $2::text[]) AS c(account_id, hold_id)
       WHERE h.account_id = c.account_id AND h.hold_id = c.hold_id`,
        [hOut.a, hOut.h],
      );

    // Every account touched: its earliest open lot expiry or period end, or no row at all.
    await tx.query(
      `WITH t AS (SELECT unnest($1::text[]) AS account_id),
       n AS (
         SELECT t.account_id, LEAST(
           (SELECT min(l.expires_at) FROM ${s}.process_open_lots l WHERE l.account_id = t.account_id),
           (SELECT min(p.ends_at) FROM ${s}.process_open_periods p WHERE p.account_id = t.account_id),
           (SELECT min(h.expires_at) FROM ${s}.process_open_holds h WHERE h.account_id = t.account_id)) AS due_at
         FROM t),
       gone AS (
         DELETE FROM ${s}.process_deadlines d USING n WHERE d.account_id = n.account_id AND n.due_at IS NULL)
       INSERT INTO ${s}.process_deadlines (account_id, due_at)
       SELECT account_id, due_at FROM n WHERE due_at IS NOT NULL
       ON CONFLICT (account_id) DO UPDATE SET due_at = excluded.due_at
         WHERE ${s}.process_deadlines.due_at IS DISTINCT FROM excluded.due_at`,
      [touched],
    );
  }
}

export interface DueDeadline {
  accountId: string;
  dueAt: string;
}

/** A shard of the accounts: hashed by account id (on the server, so every copy agrees). */
export interface Shard {
  index: number;
  count: number;
}

@Injectable()
export class DeadlineProjection extends CheckpointedProjection {
  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(LEDGER_DATABASE) private readonly database: SqlClient,
    @Inject(LEDGER_SCHEMA) schema: string,
    @Inject(PROCESS_CONFIG) config: Pick<ProcessConfig, 'projectionBatch'>,
  ) {
    super(store, database, schema, new DeadlineProjectionHandler(schema), config.projectionBatch);
  }

  migrate(): Promise<void> {
    return migrateTables(this.database, this.schema, 'process', processTables(this.schema));
  }

  /** Accounts whose next deadline is at or before `now`, earliest first. */
  async due(now: string, limit: number, shard?: Shard): Promise<DueDeadline[]> {
    const sharded = shard && shard.count > 1;
    const rows = await this.database.query<{ account_id: string; due_at: Date | string }>(
      `SELECT account_id, due_at FROM ${this.schema}.process_deadlines WHERE due_at <= $1::timestamptz
       ${sharded ? 'AND (hashtext(account_id) & 2147483647) % $3 = $4' : ''}
       ORDER BY due_at, account_id LIMIT $2`,
      sharded ? [now, limit, shard.count, shard.index] : [now, limit],
    );
    return rows.map((r) => ({ accountId: r.account_id, dueAt: new Date(r.due_at).toISOString() }));
  }

  /** The rows of these accounts (missing: nothing can fall due). */
  async rows(accountIds: string[]): Promise<Map<string, string>> {
    if (accountIds.length === 0) return new Map();
    const rows = await this.database.query<{ account_id: string; due_at: Date | string }>(
      `SELECT account_id, due_at FROM ${this.schema}.process_deadlines WHERE account_id = ANY($1::text[])`,
      [accountIds],
    );
    return new Map(rows.map((r) => [r.account_id, new Date(r.due_at).toISOString()]));
  }
}
