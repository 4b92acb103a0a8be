// Writes a FinanceBatch: one set-based statement per table, each column passed as one array
// parameter (unnest), so a batch of thousands of events costs a handful of round trips. Prepared
// ahead (prepareFinanceBatch), run inside the projector's batch transaction (writePreparedBatch);
// additive columns add to what is there, so only the order of batches counts, never their size.
import { SqlExecutor } from '@ledger/event-store';
import { FinanceBatch, UsageChange } from './finance-batch';
import { arrayLiteral, booleanArrayLiteral, integerArrayLiteral } from './sql-arrays';

/** Test hook: called after each statement, inside the transaction (a failure there rolls the batch back). */
export type AfterStatement = (table: string) => Promise<void> | void;

/**
 * The newest usage day and month already in the tables (ISO dates), or null. A usage row of a
 * later day cannot exist yet, so it is inserted plainly; the others are upserted. Only ever
 * too old (never too new) is safe: it just means more upserts.
 */
export interface UsageWatermark {
  day: string | null;
  month: string | null;
}

const text = arrayLiteral;
const ints = integerArrayLiteral;
const bools = booleanArrayLiteral;
const nullableInts = (xs: readonly (bigint | null)[]) => arrayLiteral(xs.map((x) => (x === null ? null : x.toString())));
const pick = <T, R>(rows: readonly T[], f: (r: T) => R): R[] => rows.map(f);

/** A batch's statements, ready to run: SQL and parameters (text) per table, none for a table with no rows. */
export interface PreparedBatch {
  statements: { table: string; sql?: string; params?: string[] }[];
  /** The usage watermark once this batch is written (to keep when its transaction commits). */
  watermark: UsageWatermark;
}

/** Runs a prepared batch's statements in `tx`, in order. */
export async function writePreparedBatch(tx: SqlExecutor, prepared: PreparedBatch, after?: AfterStatement): Promise<void> {
  for (const st of prepared.statements) {
    if (st.sql) await tx.query(st.sql, st.params);
    await after?.(st.table);
  }
}

/**
 * The statements of a batch, one per table (building their parameters is most of the work on
 * this side: done ahead, while the previous batch is being written).
 */
export function prepareFinanceBatch(s: string, batch: FinanceBatch, watermark: UsageWatermark): PreparedBatch {
  const statements: PreparedBatch['statements'] = [];
  const step = (table: string, rows: number, make: () => [string, string[]]) => {
    if (rows === 0) statements.push({ table });
    else {
      const [sql, params] = make();
      statements.push({ table, sql, params });
    }
  };

  const a = batch.accounts;
  step('accounts', a.length, () => [
    `INSERT INTO ${s}.accounts (account_id, name, opened_at, position)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[])`,
    [text(pick(a, (r) => r.accountId)), text(pick(a, (r) => r.name)), text(pick(a, (r) => r.openedAt)), ints(pick(a, (r) => r.position))],
  ]);

  const b = batch.balances;
  step('balances', b.length, () => [
    `MERGE INTO ${s}.balances t
     USING (SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::text[], $5::text[], $6::text[],
       $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::boolean[], $14::bigint[])
       AS d(account_id, wallet, set_period, plan, period_id, clear_if, granted, charged, expired, forfeited, overage, uncovered, exhausted, position)) d
     ON t.account_id = d.account_id AND t.wallet = d.wallet
     WHEN MATCHED THEN UPDATE SET
       plan = CASE WHEN d.set_period THEN d.plan WHEN d.clear_if = t.period_id THEN NULL ELSE t.plan END,
       period_id = CASE WHEN d.set_period THEN d.period_id WHEN d.clear_if = t.period_id THEN NULL ELSE t.period_id END,
       granted = t.granted + d.granted, charged = t.charged + d.charged, expired = t.expired + d.expired,
       forfeited = t.forfeited + d.forfeited, overage = t.overage + d.overage, uncovered = t.uncovered + d.uncovered,
       exhausted = coalesce(d.exhausted, t.exhausted), position = d.position
     WHEN NOT MATCHED THEN INSERT (account_id, wallet, plan, period_id, granted, charged, expired, forfeited, overage, uncovered, exhausted, position)
       VALUES (d.account_id, d.wallet, d.plan, d.period_id, d.granted, d.charged, d.expired, d.forfeited, d.overage, d.uncovered,
         coalesce(d.exhausted, false), d.position)`,
    [
      text(pick(b, (r) => r.accountId)),
      text(pick(b, (r) => r.wallet)),
      bools(pick(b, (r) => r.setPeriod)),
      text(pick(b, (r) => r.plan)),
      text(pick(b, (r) => r.periodId)),
      text(pick(b, (r) => r.clearIf)),
      ints(pick(b, (r) => r.granted)),
      ints(pick(b, (r) => r.charged)),
      ints(pick(b, (r) => r.expired)),
      ints(pick(b, (r) => r.forfeited)),
      ints(pick(b, (r) => r.overage)),
      ints(pick(b, (r) => r.uncovered)),
      bools(pick(b, (r) => r.exhausted)),
      ints(pick(b, (r) => r.position)),
    ],
  ]);

  const l = batch.lots;
  step('lots', l.length, () => [
    `MERGE INTO ${s}.lots t
     USING (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
       $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::timestamptz[], $14::bigint[])
       AS d(account_id, lot_id, wallet, period_id, issued_at, expires_at, granted, charged, expired, forfeited, corrected, closure, closed_at, position)) d
     ON t.account_id = d.account_id AND t.lot_id = d.lot_id
     WHEN MATCHED THEN UPDATE SET
       period_id = coalesce(d.period_id, t.period_id), issued_at = coalesce(d.issued_at, t.issued_at),
       expires_at = coalesce(d.expires_at, t.expires_at),
       granted = t.granted + d.granted, charged = t.charged + d.charged, expired = t.expired + d.expired,
       forfeited = t.forfeited + d.forfeited, corrected = t.corrected + d.corrected,
       closure = coalesce(d.closure, t.closure), closed_at = coalesce(d.closed_at, t.closed_at), position = d.position
     WHEN NOT MATCHED THEN INSERT (account_id, lot_id, wallet, period_id, issued_at, expires_at, granted, charged, expired, forfeited, corrected, closure, closed_at, position)
       VALUES (d.account_id, d.lot_id, d.wallet, d.period_id, d.issued_at, d.expires_at, d.granted, d.charged, d.expired, d.forfeited,
         d.corrected, d.closure, d.closed_at, d.position)`,
    [
      text(pick(l, (r) => r.accountId)),
      text(pick(l, (r) => r.lotId)),
      text(pick(l, (r) => r.wallet)),
      text(pick(l, (r) => r.periodId)),
      text(pick(l, (r) => r.issuedAt)),
      text(pick(l, (r) => r.expiresAt)),
      ints(pick(l, (r) => r.granted)),
      ints(pick(l, (r) => r.charged)),
      ints(pick(l, (r) => r.expired)),
      ints(pick(l, (r) => r.forfeited)),
      ints(pick(l, (r) => r.corrected)),
      text(pick(l, (r) => r.closure)),
      text(pick(l, (r) => r.closedAt)),
      ints(pick(l, (r) => r.position)),
    ],
  ]);

  const h = batch.holds;
  step('holds', h.length, () => [
    `MERGE INTO ${s}.holds t
     USING (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
       $8::timestamptz[], $9::timestamptz[], $10::text[], $11::timestamptz[], $12::bigint[])
       AS d(account_id, hold_id, wallet, hold_key, period_id, usage_kind, credits, placed_at, expires_at, status, ended_at, position)) d
     ON t.account_id = d.account_id AND t.hold_id = d.hold_id
     WHEN MATCHED THEN UPDATE SET status = d.status, ended_at = coalesce(d.ended_at, t.ended_at), position = d.position
     WHEN NOT MATCHED THEN INSERT (account_id, hold_id, wallet, hold_key, period_id, usage_kind, credits, placed_at, expires_at, status, ended_at, position)
       VALUES (d.account_id, d.hold_id, d.wallet, d.hold_key, d.period_id, d.usage_kind, d.credits, d.placed_at, d.expires_at, d.status,
         d.ended_at, d.position)`,
    [
      text(pick(h, (r) => r.accountId)),
      text(pick(h, (r) => r.holdId)),
      text(pick(h, (r) => r.wallet)),
      text(pick(h, (r) => r.placed?.holdKey ?? null)),
      text(pick(h, (r) => r.placed?.periodId ?? null)),
      text(pick(h, (r) => r.placed?.usageKind ?? null)),
      nullableInts(pick(h, (r) => r.placed?.credits ?? null)),
      text(pick(h, (r) => r.placed?.placedAt ?? null)),
      text(pick(h, (r) => r.placed?.expiresAt ?? null)),
      text(pick(h, (r) => r.status)),
      text(pick(h, (r) => r.endedAt)),
      ints(pick(h, (r) => r.position)),
    ],
  ]);

  const e = batch.entries;
  step('entries', e.length, () => [
    `INSERT INTO ${s}.entries (position, seq, account_id, wallet, kind, at, credits, lot_id, period_id, usage_kind, reason)
     SELECT * FROM unnest($1::bigint[], $2::int2[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::bigint[],
       $8::text[], $9::text[], $10::text[], $11::text[])`,
    [
      ints(e.position),
      ints(e.seq),
      text(e.accountId),
      text(e.wallet),
      text(e.kind),
      text(e.at),
      ints(e.credits),
      text(e.lotId),
      text(e.periodId),
      text(e.usageKind),
      text(e.reason),
    ],
  ]);

  const day = usageStatement(s, 'usage_daily', 'day', batch.usageDaily, watermark.day);
  const month = usageStatement(s, 'usage_monthly', 'month', batch.usageMonthly, watermark.month);
  statements.push(day.statement, month.statement);

  const p = batch.periods;
  step('periods', p.length, () => [
    `MERGE INTO ${s}.periods t
     USING (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
       $8::timestamptz[], $9::timestamptz[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::boolean[],
       $15::boolean[], $16::bigint[], $17::bigint[], $18::bigint[], $19::bigint[], $20::bigint[])
       AS d(account_id, period_id, wallet, plan, catalog_version, start_reason, starts_at, ends_at, ended_at, end_reason,
         monthly_credits, price_cents, overage_cents_per_credit, auto_renew, allow_overage, records, charged, overage, uncovered, position)) d
     ON t.account_id = d.account_id AND t.period_id = d.period_id
     WHEN MATCHED THEN UPDATE SET
       ended_at = coalesce(d.ended_at, t.ended_at), end_reason = coalesce(d.end_reason, t.end_reason),
       auto_renew = coalesce(d.auto_renew, t.auto_renew), allow_overage = coalesce(d.allow_overage, t.allow_overage),
       records = t.records + d.records, charged = t.charged + d.charged, overage = t.overage + d.overage,
       uncovered = t.uncovered + d.uncovered, position = d.position
     WHEN NOT MATCHED THEN INSERT (account_id, period_id, wallet, plan, catalog_version, start_reason, starts_at, ends_at, ended_at,
       end_reason, monthly_credits, price_cents, overage_cents_per_credit, auto_renew, allow_overage, records, charged, overage, uncovered, position)
       VALUES (d.account_id, d.period_id, d.wallet, d.plan, d.catalog_version, d.start_reason, d.starts_at, d.ends_at, d.ended_at,
         d.end_reason, d.monthly_credits, d.price_cents, d.overage_cents_per_credit, d.auto_renew, d.allow_overage, d.records,
         d.charged, d.overage, d.uncovered, d.position)`,
    [
      text(pick(p, (r) => r.accountId)),
      text(pick(p, (r) => r.periodId)),
      text(pick(p, (r) => r.wallet)),
      text(pick(p, (r) => r.started?.plan ?? null)),
      text(pick(p, (r) => r.started?.catalogVersion ?? null)),
      text(pick(p, (r) => r.started?.reason ?? null)),
      text(pick(p, (r) => r.started?.startsAt ?? null)),
      text(pick(p, (r) => r.started?.endsAt ?? null)),
      text(pick(p, (r) => r.endedAt)),
      text(pick(p, (r) => r.endReason)),
      nullableInts(pick(p, (r) => r.started?.monthlyCredits ?? null)),
      nullableInts(pick(p, (r) => r.started?.priceCents ?? null)),
      nullableInts(pick(p, (r) => r.started?.overageCentsPerCredit ?? null)),
      bools(pick(p, (r) => r.autoRenew)),
      bools(pick(p, (r) => r.allowOverage)),
      ints(pick(p, (r) => r.records)),
      ints(pick(p, (r) => r.charged)),
      ints(pick(p, (r) => r.overage)),
      ints(pick(p, (r) => r.uncovered)),
      ints(pick(p, (r) => r.position)),
    ],
  ]);

  const i = batch.invoices;
  step('invoices', i.length, () => [
    `INSERT INTO ${s}.invoices (number, account_id, kind, wallet, plan, period_id, period_starts_at, period_ends_at, total_cents,
       catalog_version, issued_at, supplements, line_count, position)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[],
       $9::bigint[], $10::text[], $11::timestamptz[], $12::text[], $13::int[], $14::bigint[])`,
    [
      text(pick(i, (r) => r.number)),
      text(pick(i, (r) => r.accountId)),
      text(pick(i, (r) => r.kind)),
      text(pick(i, (r) => r.wallet)),
      text(pick(i, (r) => r.plan)),
      text(pick(i, (r) => r.periodId)),
      text(pick(i, (r) => r.periodStartsAt)),
      text(pick(i, (r) => r.periodEndsAt)),
      ints(pick(i, (r) => r.totalCents)),
      text(pick(i, (r) => r.catalogVersion)),
      text(pick(i, (r) => r.issuedAt)),
      text(pick(i, (r) => r.supplements)),
      ints(pick(i, (r) => r.lineCount)),
      ints(pick(i, (r) => r.position)),
    ],
  ]);

  const il = batch.invoiceLines;
  step('invoice_lines', il.length, () => [
    `INSERT INTO ${s}.invoice_lines (number, line_no, description, usage_kind, quantity, unit_price_cents, amount_cents)
     SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])`,
    [
      text(pick(il, (r) => r.number)),
      ints(pick(il, (r) => r.lineNo)),
      text(pick(il, (r) => r.description)),
      text(pick(il, (r) => r.usageKind)),
      ints(pick(il, (r) => r.quantity)),
      ints(pick(il, (r) => r.unitPriceCents)),
      ints(pick(il, (r) => r.amountCents)),
    ],
  ]);

  return { statements, watermark: { day: day.watermark, month: month.watermark } };
}

/**
 * Usage rows of a bucket after the watermark are new (plain INSERT, the cheap path: a rebuild's
 * rows nearly all are); the others are upserted, adding to what is there. One statement.
 */
function usageStatement(
  s: string,
  table: string,
  bucket: 'day' | 'month',
  rows: UsageChange[],
  watermark: string | null,
): { statement: PreparedBatch['statements'][number]; watermark: string | null } {
  if (rows.length === 0) return { statement: { table }, watermark };
  let newest = watermark;
  const fresh: UsageChange[] = [];
  const known: UsageChange[] = [];
  for (const r of rows) {
    (watermark === null || r.bucket > watermark ? fresh : known).push(r);
    if (newest === null || r.bucket > newest) newest = r.bucket;
  }
  const columns = (u: UsageChange[]) => [
    text(pick(u, (r) => r.accountId)),
    text(pick(u, (r) => r.bucket)),
    text(pick(u, (r) => r.usageKind)),
    ints(pick(u, (r) => r.records)),
    ints(pick(u, (r) => r.credits)),
    ints(pick(u, (r) => r.durationMs)),
    ints(pick(u, (r) => r.overage)),
    ints(pick(u, (r) => r.uncovered)),
  ];
  const unnest = (from: number) =>
    `unnest($${from}::text[], $${from + 1}::date[], $${from + 2}::text[], $${from + 3}::bigint[], $${from + 4}::bigint[], $${from + 5}::bigint[], $${from + 6}::bigint[], $${from + 7}::bigint[])`;
  const sql = `WITH fresh AS (
       INSERT INTO ${s}.${table} (account_id, ${bucket}, usage_kind, records, credits, duration_ms, overage, uncovered)
       SELECT * FROM ${unnest(1)})
     INSERT INTO ${s}.${table} AS t (account_id, ${bucket}, usage_kind, records, credits, duration_ms, overage, uncovered)
     SELECT * FROM ${unnest(9)}
     ON CONFLICT (account_id, ${bucket}, usage_kind) DO UPDATE SET
       records = t.records + excluded.records, credits = t.credits + excluded.credits,
       duration_ms = t.duration_ms + excluded.duration_ms, overage = t.overage + excluded.overage,
       uncovered = t.uncovered + excluded.uncovered`;
  return { statement: { table, sql, params: [...columns(fresh), ...columns(known)] }, watermark: newest };
}
