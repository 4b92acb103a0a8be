// The one way in for usage: HTTP (POST /v1/events), the Kafka consumer and the file CLI all call
// UsageIngest.ingest, with the same validation and the same batch limit. Each event of a batch is
// validated, deduplicated and charged on its own; a bad event never rejects its neighbours.
import { Inject, Injectable } from '@nestjs/common';
import { AccountLedger } from '../accounts/account-ledger';
import { Provenance } from '../accounts/ledger-item';
import { CLOCK, Clock } from '../kit/clock';
import { failed, ok, Result } from '../kit/failure';
import { USAGE_CONFIG, UsageConfig } from './usage-config';
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
  ingest(raws: readonly unknown[], provenance: (index: number) => Provenance): Promise<Result<EventResult[]>>;
}

@Injectable()
export class UsageIngest implements UsageIngestPort {
  constructor(
    private readonly ledger: AccountLedger,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(USAGE_CONFIG) private readonly config: UsageConfig,
  ) {}

  get maxBatch(): number {
    return this.config.maxBatch;
  }

  async ingest(raws: readonly unknown[], provenance: (index: number) => Provenance): Promise<Result<EventResult[]>> {
    if (raws.length > this.config.maxBatch) return failed('batch_too_large', `at most ${this.config.maxBatch} events per request`);
    const now = this.clock.now();
    const parsed = raws.map((raw, i) => parseUsageEvent(raw, now, provenance(i)));
    const results: EventResult[] = parsed.map((p) => (p.ok ? { id: p.id, source: p.source, status: 'accepted' } : { id: p.id, source: p.source, status: 'rejected', errors: p.errors }));
    const good = parsed.flatMap((p, i) => (p.ok ? [{ i, item: p.item }] : []));
    const outcomes = await this.ledger.submit(good.map((g) => g.item));
    outcomes.forEach((o, k) => {
      const r = results[good[k].i];
      if (o.status === 'duplicate') r.status = 'duplicate';
      else if (o.status === 'conflict') Object.assign(r, { status: 'rejected', errors: [{ field: 'id', code: 'conflict', message: 'this source + id was already recorded with a different body' }] });
      else if (o.status === 'rejected')
        Object.assign(r, { status: 'rejected', errors: [{ field: o.rejection.field === 'accountId' ? 'subject' : o.rejection.field ?? '$', code: o.rejection.error, message: o.rejection.message }] });
    });
    return ok(results);
  }
}
