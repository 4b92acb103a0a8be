// Accepts a batch of usage events: each one validated, deduplicated and charged on its own;
// a bad event never rejects its neighbours.
import { Inject, Injectable } from '@nestjs/common';
import { AccountLedger, Provenance } from '../accounts/account-ledger';
import { CLOCK, Clock } from '../kit/clock';
import { FieldError, parseUsageEvent } from './usage-event';

export interface EventResult {
  id?: string;
  source?: string;
  status: 'accepted' | 'duplicate' | 'rejected';
  errors?: (FieldError & { code?: string })[];
}

@Injectable()
export class UsageIngest {
  constructor(
    private readonly ledger: AccountLedger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async ingest(raws: readonly unknown[], provenance: (index: number) => Provenance): Promise<EventResult[]> {
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
    return results;
  }
}
