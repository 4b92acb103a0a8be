// The SQL behind the finance routes, over the read models (projections/read-model-schema.ts).
// Amounts leave the database as integers (millionths of a credit, cents) and become decimal
// strings here, through formatCredits: no floating point anywhere.
import { Inject, Injectable } from '@nestjs/common';
import { decodeAccountEvent, formatCredits, isAccountEventType } from '@ledger/domain';
import { LEDGER_DATABASE, RecordedEvent, SqlClient } from '@ledger/event-store';
import { Failure, unknownAccount } from '../kit/failure';
import { LEDGER_SCHEMA } from '../store/store-config';
import { FinanceProjections } from '../projections/finance-projections.service';
import { entriesOf } from '../reading/views';
import { LogPlace } from './cursor';

export interface EntryFilter {
  kinds?: string[];
  wallet?: string;
  from?: string;
  to?: string;
}

export interface InvoiceFilter {
  accountId?: string;
  kind?: string;
  from?: string;
  to?: string;
}

export interface UsageFilter {
  accountId?: string;
  /** Days, YYYY-MM-DD; `to` exclusive. */
  from?: string;
  to?: string;
  groupBy: 'day' | 'month';
}

export interface UsageRow {
  accountId: string;
  /** YYYY-MM-DD or YYYY-MM. */
  period: string;
  usageKind: string;
  records: number;
  credits: bigint;
  durationMs: number;
  overage: bigint;
  uncovered: bigint;
}

export interface CreditFlowFilter {
  /** Only this account (a caller bound to one account sees only its own). */
  accountId?: string;
  wallet?: string;
  /** Instants (ISO, UTC): entries whose event time is in [from, to). */
  from?: string;
  to?: string;
  groupBy: 'day' | 'month';
}

/**
 * Credits moved in one UTC day or month on one wallet, by kind of entry: each the sum of the
 * credits of the matching entries, as a positive amount (charges, expiries and forfeits are
 * negative entries: consumed, expired and forfeited are their sums negated).
 */
export interface CreditFlowRow {
  /** YYYY-MM or YYYY-MM-DD of the entries' event time, UTC. */
  period: string;
  wallet: string;
  granted: bigint;
  consumed: bigint;
  expired: bigint;
  forfeited: bigint;
  corrected: bigint;
  overage: bigint;
  uncovered: bigint;
  /** What the lots gained or lost: the sum of the grant, charge, expiry, forfeit and correction entries. */
  net: bigint;
}

type Row = Record<string, any>;
const iso = (v: Date | string | null): string | null =>
  v === null ? null : v instanceof Date ? v.toISOString() : new Date(v).toISOString();
const big = (v: bigint | string | number): bigint => (typeof v === 'bigint' ? v : BigInt(v));

/** Builds `WHERE` clauses with numbered parameters. */
class Where {
  readonly params: unknown[] = [];
  private readonly parts: string[] = [];
  add(sql: (p: (v: unknown) => string) => string): this {
    this.parts.push(sql((v) => `$${this.params.push(v)}`));
    return this;
  }
  get sql(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

@Injectable()
export class FinanceReadModel {
  private readonly rm: string;
  private readonly events: string;

  constructor(
    @Inject(LEDGER_DATABASE) private readonly db: SqlClient,
    @Inject(LEDGER_SCHEMA) ledgerSchema: string,
    private readonly projections: FinanceProjections,
  ) {
    this.rm = projections.schema;
    this.events = projections.logTable;
  }

  /** Read-your-writes: resolves once the read models hold the log as of now (or with `projection_behind`). */
  caughtUp(): Promise<Failure | undefined> {
    return this.projections.caughtUp();
  }

  /**
   * What every read of the finance API checks first: the read models have caught up with the log
   * as of the request, and the account asked for (if any) exists. Undefined when both hold.
   */
  async readable(accountId?: string): Promise<Failure | undefined> {
    const behind = await this.caughtUp();
    if (behind) return behind;
    if (accountId !== undefined && !(await this.accountExists(accountId))) return unknownAccount(accountId);
    return undefined;
  }

  async accountExists(accountId: string): Promise<boolean> {
    return (await this.db.query(`SELECT 1 FROM ${this.rm}.accounts WHERE account_id = $1`, [accountId])).length === 1;
  }

  /** One page of an account's entries in log order, after `after`; `next` when there is more. */
  async entriesPage(accountId: string, f: EntryFilter, after: LogPlace | undefined, limit: number) {
    const w = new Where().add((p) => `account_id = ${p(accountId)}`);
    if (after) w.add((p) => `(position, seq) > (${p(after.position.toString())}::bigint, ${p(after.seq)}::int2)`);
    this.filterEntries(w, f);
    const rows = await this.db.query<{ position: bigint | string; seq: number }>(
      `SELECT position, seq FROM ${this.rm}.entries ${w.sql} ORDER BY position, seq LIMIT ${limit + 1}`,
      w.params,
    );
    const page = rows.slice(0, limit).map((r) => ({ position: big(r.position), seq: Number(r.seq) }));
    return { entries: await this.renderEntries(page), next: rows.length > limit ? page[page.length - 1] : undefined };
  }

  private filterEntries(w: Where, f: EntryFilter): void {
    if (f.kinds?.length) w.add((p) => `kind = ANY(${p(f.kinds)}::text[])`);
    if (f.wallet) w.add((p) => `wallet = ${p(f.wallet)}`);
    if (f.from) w.add((p) => `at >= ${p(f.from)}::timestamptz`);
    if (f.to) w.add((p) => `at < ${p(f.to)}::timestamptz`);
  }

  /**
   * The API shape of entries (reading/views.ts entriesOf, as the history route shows them): the
   * read model chose and ordered them, their events in the log give every field and provenance.
   */
  async renderEntries(places: LogPlace[]) {
    if (places.length === 0) return [];
    const rows = await this.db.query<Row>(
      `SELECT global_position, stream_id, stream_version, type, data, metadata, recorded_at FROM ${this.events}
       WHERE global_position = ANY($1::bigint[])`,
      [[...new Set(places.map((p) => p.position.toString()))]],
    );
    const byPosition = new Map<bigint, ReturnType<typeof entriesOf>>();
    for (const r of rows) {
      if (!isAccountEventType(r.type)) continue;
      const recorded: RecordedEvent = {
        streamId: r.stream_id,
        streamVersion: r.stream_version,
        globalPosition: big(r.global_position),
        type: r.type,
        data: r.data,
        metadata: r.metadata,
        recordedAt: r.recorded_at instanceof Date ? r.recorded_at : new Date(r.recorded_at),
      };
      byPosition.set(recorded.globalPosition, entriesOf(decodeAccountEvent(r.type, r.data), recorded));
    }
    return places.map((p) => {
      const entry = byPosition.get(p.position)?.[p.seq];
      if (!entry) throw new Error(`entry ${p.position}/${p.seq} of the read models has no event in the log`);
      return entry;
    });
  }

  async invoicesPage(f: InvoiceFilter, after: LogPlace | undefined, limit: number) {
    const w = new Where();
    if (f.accountId) w.add((p) => `i.account_id = ${p(f.accountId)}`);
    if (f.kind) w.add((p) => `i.kind = ${p(f.kind)}`);
    if (f.from) w.add((p) => `i.issued_at >= ${p(f.from)}::timestamptz`);
    if (f.to) w.add((p) => `i.issued_at < ${p(f.to)}::timestamptz`);
    if (after) w.add((p) => `i.position > ${p(after.position.toString())}::bigint`);
    const rows = await this.db.query<Row>(`${this.invoiceSelect()} ${w.sql} ORDER BY i.position LIMIT ${limit + 1}`, w.params);
    const page = rows.slice(0, limit);
    return {
      invoices: page.map((r) => this.invoiceView(r)),
      next: rows.length > limit ? { position: big(page[page.length - 1].position), seq: 0 } : undefined,
    };
  }

  async invoice(number: string) {
    const [row] = await this.db.query<Row>(`${this.invoiceSelect()} WHERE i.number = $1`, [number]);
    return row ? this.invoiceView(row) : undefined;
  }

  private invoiceSelect(): string {
    return `SELECT i.*, (SELECT json_agg(json_build_array(l.description, l.usage_kind, l.quantity::text, l.unit_price_cents::text,
        l.amount_cents::text) ORDER BY l.line_no) FROM ${this.rm}.invoice_lines l WHERE l.number = i.number) AS lines
      FROM ${this.rm}.invoices i`;
  }

  /** reading/views.ts invoiceView, from the read model's columns. */
  private invoiceView(r: Row) {
    const lines = ((typeof r.lines === 'string' ? JSON.parse(r.lines) : r.lines) ?? []) as [
      string,
      string | null,
      string,
      string,
      string,
    ][];
    return {
      number: r.number,
      accountId: r.account_id,
      kind: r.kind,
      wallet: r.wallet,
      plan: r.plan,
      period: { id: r.period_id, startsAt: iso(r.period_starts_at), endsAt: iso(r.period_ends_at) },
      lines: lines.map(([description, usageKind, quantity, unitPriceCents, amountCents]) => ({
        description,
        ...(usageKind ? { usageKind } : {}),
        quantity: formatCredits(BigInt(quantity)),
        unitPriceCents: Number(unitPriceCents),
        amountCents: Number(amountCents),
      })),
      totalCents: Number(r.total_cents),
      catalogVersion: r.catalog_version,
      issuedAt: iso(r.issued_at),
      ...(r.supplements ? { supplements: r.supplements } : {}),
    };
  }

  /** Usage by account, usage kind and day or month, oldest first. */
  async usage(f: UsageFilter): Promise<UsageRow[]> {
    const w = new Where();
    if (f.accountId) w.add((p) => `account_id = ${p(f.accountId)}`);
    const measures = `sum(records)::text AS records, sum(credits)::text AS credits, sum(duration_ms)::text AS duration_ms,
      sum(overage)::text AS overage, sum(uncovered)::text AS uncovered`;
    let sql: string;
    const monthAligned = (d?: string) => d === undefined || d.endsWith('-01');
    if (f.groupBy === 'month' && monthAligned(f.from) && monthAligned(f.to)) {
      // The month rollup answers whole months directly.
      if (f.from) w.add((p) => `month >= ${p(f.from)}::date`);
      if (f.to) w.add((p) => `month < ${p(f.to)}::date`);
      sql = `SELECT account_id, to_char(month, 'YYYY-MM') AS period, usage_kind, ${measures} FROM ${this.rm}.usage_monthly ${w.sql}
        GROUP BY account_id, month, usage_kind ORDER BY account_id, month, usage_kind`;
    } else {
      if (f.from) w.add((p) => `day >= ${p(f.from)}::date`);
      if (f.to) w.add((p) => `day < ${p(f.to)}::date`);
      const bucket = f.groupBy === 'month' ? `to_char(day, 'YYYY-MM')` : `to_char(day, 'YYYY-MM-DD')`;
      sql = `SELECT account_id, ${bucket} AS period, usage_kind, ${measures} FROM ${this.rm}.usage_daily ${w.sql}
        GROUP BY account_id, 2, usage_kind ORDER BY account_id, 2, usage_kind`;
    }
    const rows = await this.db.query<Row>(sql, w.params);
    return rows.map((r) => ({
      accountId: r.account_id,
      period: r.period,
      usageKind: r.usage_kind,
      records: Number(r.records),
      credits: BigInt(r.credits),
      durationMs: Number(r.duration_ms),
      overage: BigInt(r.overage),
      uncovered: BigInt(r.uncovered),
    }));
  }

  /**
   * Credit flows by UTC day or month of the entries' event time and wallet, oldest first: sums of
   * the entries read model's integer millionths, in SQL (numeric, exact), only for periods with
   * entries.
   */
  async creditFlows(f: CreditFlowFilter): Promise<CreditFlowRow[]> {
    const w = new Where();
    if (f.accountId) w.add((p) => `account_id = ${p(f.accountId)}`);
    if (f.wallet) w.add((p) => `wallet = ${p(f.wallet)}`);
    if (f.from) w.add((p) => `at >= ${p(f.from)}::timestamptz`);
    if (f.to) w.add((p) => `at < ${p(f.to)}::timestamptz`);
    const sum = (kinds: string) => `coalesce(sum(credits) FILTER (WHERE kind IN (${kinds})), 0)`;
    const rows = await this.db.query<Row>(
      `SELECT to_char(at AT TIME ZONE 'UTC', '${f.groupBy === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM'}') AS period, wallet,
         ${sum(`'grant'`)}::text AS granted, (-${sum(`'charge'`)})::text AS consumed, (-${sum(`'expiry'`)})::text AS expired,
         (-${sum(`'forfeit'`)})::text AS forfeited, ${sum(`'correction'`)}::text AS corrected, ${sum(`'overage'`)}::text AS overage,
         ${sum(`'uncovered'`)}::text AS uncovered, ${sum(`'grant', 'charge', 'expiry', 'forfeit', 'correction'`)}::text AS net
       FROM ${this.rm}.entries ${w.sql} GROUP BY 1, 2 ORDER BY 1, 2`,
      w.params,
    );
    return rows.map((r) => ({
      period: r.period,
      wallet: r.wallet,
      granted: BigInt(r.granted),
      consumed: BigInt(r.consumed),
      expired: BigInt(r.expired),
      forfeited: BigInt(r.forfeited),
      corrected: BigInt(r.corrected),
      overage: BigInt(r.overage),
      uncovered: BigInt(r.uncovered),
      net: BigInt(r.net),
    }));
  }

  /** Entries of a period for export, in event-time order, page by page (keyset on time and position). */
  async *exportEntries(f: { accountId?: string; from: string; to: string }, pageSize = 5000): AsyncGenerator<Row[]> {
    let after: { at: Date; position: string; seq: number } | undefined;
    for (;;) {
      const w = new Where().add((p) => `en.at >= ${p(f.from)}::timestamptz AND en.at < ${p(f.to)}::timestamptz`);
      if (f.accountId) w.add((p) => `en.account_id = ${p(f.accountId)}`);
      if (after) {
        const a = after;
        w.add((p) => `(en.at, en.position, en.seq) > (${p(a.at.toISOString())}::timestamptz, ${p(a.position)}::bigint, ${p(a.seq)}::int2)`);
      }
      const rows = await this.db.query<Row>(
        `SELECT en.position, en.seq, en.account_id, en.wallet, en.kind, en.at, en.credits, en.lot_id, en.period_id, en.usage_kind,
           en.usage_source, en.usage_id, en.reason, en.recorded_at, en.provenance
         FROM ${this.rm}.entries_with_provenance en ${w.sql} ORDER BY en.at, en.position, en.seq LIMIT ${pageSize}`,
        w.params,
      );
      if (rows.length === 0) return;
      yield rows;
      const last = rows[rows.length - 1];
      after = { at: last.at instanceof Date ? last.at : new Date(last.at), position: String(last.position), seq: Number(last.seq) };
      if (rows.length < pageSize) return;
    }
  }

  /** Invoice lines of invoices issued in a period, in issue order, page by page. */
  async *exportInvoiceLines(f: { accountId?: string; from: string; to: string }, pageSize = 1000): AsyncGenerator<Row[]> {
    let after: string | undefined;
    for (;;) {
      const w = new Where().add((p) => `i.issued_at >= ${p(f.from)}::timestamptz AND i.issued_at < ${p(f.to)}::timestamptz`);
      if (f.accountId) w.add((p) => `i.account_id = ${p(f.accountId)}`);
      if (after !== undefined) {
        const a = after;
        w.add((p) => `i.position > ${p(a)}::bigint`);
      }
      const invoices = await this.db.query<{ position: bigint | string }>(
        `SELECT i.position FROM ${this.rm}.invoices i ${w.sql} ORDER BY i.position LIMIT ${pageSize}`,
        w.params,
      );
      if (invoices.length === 0) return;
      const positions = invoices.map((r) => String(r.position));
      yield await this.db.query<Row>(
        `SELECT i.number, i.account_id, i.kind, i.wallet, i.plan, i.period_id, i.period_starts_at, i.period_ends_at, i.issued_at,
           i.supplements, i.catalog_version, i.total_cents, l.line_no, l.description, l.usage_kind, l.quantity, l.unit_price_cents, l.amount_cents
         FROM ${this.rm}.invoices i JOIN ${this.rm}.invoice_lines l ON l.number = i.number
         WHERE i.position = ANY($1::bigint[]) ORDER BY i.position, l.line_no`,
        [positions],
      );
      after = positions[positions.length - 1];
      if (invoices.length < pageSize) return;
    }
  }
}
