// GET /metrics: open holds and the credits they hold, per wallet, from the deadline projection's
// `process_open_holds` (as far as it has projected; a hold past its expiresAt counts until its
// expiry is recorded).
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { LEDGER_DATABASE, SqlClient } from '@ledger/event-store';
import { MetricsRegistry } from '../kit/metrics-registry';
import { LEDGER_SCHEMA } from '../store/store-config';

@Injectable()
export class HoldMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    @Inject(LEDGER_DATABASE) private readonly database: SqlClient,
    @Inject(LEDGER_SCHEMA) private readonly schema: string,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge(
      'ledger_holds_open',
      'Holds placed and not yet captured, released or expired, per wallet.',
      async () => (await this.byWallet()).map((r) => ({ labels: { wallet: r.wallet }, value: r.open })),
      ['wallet'],
    );
    this.metrics.gauge(
      'ledger_holds_held_microcredits',
      'Credits reserved by open holds, per wallet, in millionths of a credit.',
      async () => (await this.byWallet()).map((r) => ({ labels: { wallet: r.wallet }, value: r.held })),
      ['wallet'],
    );
  }

  private async byWallet(): Promise<{ wallet: string; open: number; held: bigint }[]> {
    const rows = await this.database.query<{ wallet: string; open: string | number; held: string | null }>(
      `SELECT w.wallet, count(h.hold_id) AS open, sum(h.credits)::text AS held
       FROM (VALUES ('api'), ('live_avatar')) AS w(wallet) LEFT JOIN ${this.schema}.process_open_holds h ON h.wallet = w.wallet
       GROUP BY w.wallet ORDER BY w.wallet`,
    );
    return rows.map((r) => ({ wallet: r.wallet, open: Number(r.open), held: BigInt(r.held ?? '0') }));
  }
}
