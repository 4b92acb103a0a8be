// The one way in for usage: HTTP (POST /v1/events), the Kafka consumer and the file CLI all call
// UsageIngest.ingest, with the same validation and the same batch limit. Each event of a batch is
// validated, deduplicated and charged on its own; a bad event never rejects its neighbours.
//
// A store error during the append is classified (event-store `storeErrorKind`): an unavailable store
// fails the whole call (`store_unavailable`: HTTP 503, Kafka pauses and retries the batch), a
// refused write is isolated by bisecting the batch, so the good events are recorded and the one
// the store refuses is `rejected` with code `unrecordable` (a Kafka dead letter).
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Span } from '@opentelemetry/api';
import { describeError, storeErrorKind } from '@ledger/event-store';
import { AccountLedger } from '../accounts/account-ledger';
import { ItemOutcome, LedgerItem, Provenance } from '../accounts/ledger-item';
import { CLOCK, Clock } from '../kit/clock';
import { failed, ok, Result } from '../kit/failure';
import { LedgerMetrics } from '../kit/ledger-metrics';
import { inSpan, MAX_IDS_PER_SPAN, TRACING, Tracing, TRACING_OFF } from '../kit/tracing';
import { Arrival } from './arrival';
import { USAGE_CONFIG, UsageConfig } from './usage-config';
import { GroupCommit } from './group-commit';
import { FieldError, parseUsageEvent } from './usage-event';

export interface EventResult {
  id?: string;
  source?: string;
  status: 'accepted' | 'duplicate' | 'rejected';
  errors?: (FieldError & { code?: string })[];
}

/** What every way in needs of the ledger: one batch of raw events in, one result per event out. */
export interface UsageIngestPort {
  /** Most events one call takes; a larger batch is refused whole (`batch_too_large`), nothing recorded. */
  readonly maxBatch: number;
  ingest(raws: readonly unknown[], provenance: (index: number) => Provenance, arrival?: Arrival): Promise<Result<EventResult[]>>;
}

type Submitted = ItemOutcome | { status: 'unrecordable'; reason: string };

/** Most items of concurrent calls appended in one ledger transaction (group-commit.ts). */
const GROUP_MAX_ITEMS = 5000;

@Injectable()
export class UsageIngest implements UsageIngestPort {
  private readonly log = new Logger('UsageIngest');
  /** Concurrent calls' events appended together (a refused record is still isolated, within the group). */
  private readonly group: GroupCommit<LedgerItem, Submitted>;

  constructor(
    private readonly ledger: AccountLedger,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(USAGE_CONFIG) private readonly config: UsageConfig,
    @Optional() private readonly metrics?: LedgerMetrics,
    @Optional() @Inject(TRACING) private readonly tracing: Tracing = TRACING_OFF,
  ) {
    this.group = new GroupCommit((items) => this.submitIsolating(items), Math.max(GROUP_MAX_ITEMS, config.maxBatch));
  }

  get maxBatch(): number {
    return this.config.maxBatch;
  }

  /** `arrival`: the way in and when each event arrived (HTTP, Kafka), for /metrics; none from a file. */
  async ingest(raws: readonly unknown[], provenance: (index: number) => Provenance, arrival?: Arrival): Promise<Result<EventResult[]>> {
    if (raws.length > this.config.maxBatch) return failed('batch_too_large', `at most ${this.config.maxBatch} events per request`);
    const done = arrival && this.metrics?.ingestBatch.startTimer({ source: arrival.source });
    try {
      const attributes = { 'ledger.ingest.source': arrival?.source ?? 'file', 'ledger.batch.size': raws.length };
      return await inSpan(this.tracing, 'ledger.ingest', { attributes }, () => this.ingestBatch(raws, provenance, arrival));
    } finally {
      done?.();
    }
  }

  private async ingestBatch(
    raws: readonly unknown[],
    provenance: (index: number) => Provenance,
    arrival: Arrival | undefined,
  ): Promise<Result<EventResult[]>> {
    const now = this.clock.now();
    const parsed = await inSpan(this.tracing, 'ledger.validate', {}, async (span) => {
      const parsed = raws.map((raw, i) => parseUsageEvent(raw, now, provenance(i)));
      if (span?.isRecording()) describeOnSpan(span, parsed);
      return parsed;
    });
    const results: EventResult[] = parsed.map((p) =>
      p.ok ? { id: p.id, source: p.source, status: 'accepted' } : { id: p.id, source: p.source, status: 'rejected', errors: p.errors },
    );
    const good = parsed.flatMap((p, i) => (p.ok ? [{ i, item: p.item }] : []));
    let outcomes: Submitted[];
    try {
      outcomes = await inSpan(this.tracing, 'ledger.decide', { attributes: { 'ledger.batch.size': good.length } }, () =>
        this.group.run(good.map((g) => g.item)),
      );
    } catch (err) {
      this.log.warn(`store unavailable (${describeError(err)}): ${good.length} events not recorded, the caller retries`);
      return failed('store_unavailable', 'the store is unavailable: nothing of this batch was recorded; send it again later');
    }
    if (arrival && this.metrics) {
      // The charges are committed (the append returned): each accepted event's lag, with one clock read.
      const committedAt = Date.now();
      for (let k = 0; k < outcomes.length; k++)
        if (outcomes[k].status === 'accepted')
          this.metrics.eventToBalanceLag.observe(Math.max(0, committedAt - arrival.receivedAtMs(good[k].i)) / 1000);
    }
    outcomes.forEach((o, k) => {
      const r = results[good[k].i];
      if (o.status === 'duplicate') r.status = 'duplicate';
      else if (o.status === 'unrecordable')
        Object.assign(r, {
          status: 'rejected',
          errors: [{ field: '$', code: 'unrecordable', message: `the store refused to record this event (${o.reason})` }],
        });
      else if (o.status === 'conflict')
        Object.assign(r, {
          status: 'rejected',
          errors: [{ field: 'id', code: 'conflict', message: 'this source + id was already recorded with a different body' }],
        });
      else if (o.status === 'rejected')
        Object.assign(r, {
          status: 'rejected',
          errors: [
            {
              field: o.rejection.field === 'accountId' ? 'subject' : (o.rejection.field ?? '$'),
              code: o.rejection.error,
              message: o.rejection.message,
            },
          ],
        });
    });
    const rejected = results.reduce((n, r) => n + (r.status === 'rejected' ? 1 : 0), 0);
    if (rejected > 0) this.log.debug(`${rejected} of ${results.length} events rejected`);
    return ok(results);
  }

  /**
   * The batch in one append; when the store refuses it (not a race, not an outage), each half on
   * its own, down to the one event it refuses: a bad record costs O(log n) appends, not n.
   */
  private async submitIsolating(items: LedgerItem[]): Promise<Submitted[]> {
    if (items.length === 0) return [];
    try {
      return await this.ledger.submit(items);
    } catch (err) {
      if (storeErrorKind(err) !== 'refused') throw err;
      if (items.length === 1) {
        this.log.warn(`the store refused one event (${describeError(err)}): rejected as unrecordable`);
        return [{ status: 'unrecordable', reason: describeError(err) }];
      }
      const mid = Math.ceil(items.length / 2);
      return [...(await this.submitIsolating(items.slice(0, mid))), ...(await this.submitIsolating(items.slice(mid)))];
    }
  }
}

/** Which events and accounts a batch is about (the first MAX_IDS_PER_SPAN), for a recording span only. */
function describeOnSpan(span: Span, parsed: ReturnType<typeof parseUsageEvent>[]): void {
  const ids: string[] = [];
  const accounts = new Set<string>();
  for (const p of parsed.slice(0, MAX_IDS_PER_SPAN)) {
    if (p.id !== undefined) ids.push(p.id);
    if (p.ok) accounts.add(p.item.accountId);
  }
  span.setAttributes({
    'ledger.event.ids': ids,
    'ledger.account.ids': [...accounts],
    'ledger.events.rejected': parsed.filter((p) => !p.ok).length,
  });
}
