// Delivers the outbox: oldest first, each notification marked delivered after its sink said so,
// a failure retried with exponential backoff. At least once: a crash between a delivery and its
// mark sends it again, with the same id (receivers dedupe by it).
import { Inject, Injectable, Logger } from '@nestjs/common';
import { LEDGER_DATABASE, SqlClient } from '@ledger/event-store';
import { LEDGER_SCHEMA } from '../store/store-config';
import { NOTIFICATION_CONFIG, NotificationConfig } from './notification-config';
import { createSink, OutboxRow, Sink } from './sinks';

const PAGE = 100;

@Injectable()
export class NotificationDispatcher {
  private readonly log = new Logger('NotificationDispatcher');
  private sink?: Sink;
  /** After a failure: no attempt before this (performance.now()). */
  private pausedUntil = 0;

  constructor(
    @Inject(LEDGER_DATABASE) private readonly db: SqlClient,
    @Inject(LEDGER_SCHEMA) private readonly schema: string,
    @Inject(NOTIFICATION_CONFIG) readonly config: NotificationConfig,
  ) {
    this.sink = createSink(this.config.sink);
  }

  /** Is there anywhere to deliver to? */
  get active(): boolean {
    return this.sink !== undefined;
  }

  /** Backoff before attempt `attempts + 1`, after `attempts` failures. */
  backoffMs(attempts: number): number {
    return Math.min(this.config.retryMaxMs, this.config.retryMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  }

  /** Delivers one page of what is due. Resolves true when it delivered something. */
  async step(): Promise<boolean> {
    if (!this.sink || performance.now() < this.pausedUntil) return false;
    const rows = (
      await this.db.query<{ id: string; account_id: string; kind: string; body: unknown; attempts: number }>(
        `SELECT id, account_id, kind, body, attempts FROM ${this.schema}.notification_outbox
       WHERE delivered_at IS NULL AND next_attempt_at <= now()
       ORDER BY position, ordinal LIMIT ${PAGE}`,
      )
    ).map((r): OutboxRow => ({
      id: r.id,
      accountId: r.account_id,
      kind: r.kind,
      attempts: r.attempts,
      body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body),
    }));
    if (rows.length === 0) return false;
    const { delivered, error } = await this.sink.deliver(rows);
    if (delivered > 0) {
      await this.db.query(
        `UPDATE ${this.schema}.notification_outbox SET delivered_at = now(), attempts = attempts + 1, last_error = NULL
         WHERE id = ANY($1::text[]) AND delivered_at IS NULL`,
        [rows.slice(0, delivered).map((r) => r.id)],
      );
    }
    if (error !== undefined) {
      const failed = rows[delivered] ?? rows[0];
      const wait = this.backoffMs(failed.attempts + 1);
      await this.db.query(
        `UPDATE ${this.schema}.notification_outbox
         SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + $3::double precision * interval '1 millisecond'
         WHERE id = $1`,
        [failed.id, error.slice(0, 500), wait],
      );
      this.pausedUntil = performance.now() + wait;
      this.log.warn(`delivering ${failed.id} failed (attempt ${failed.attempts + 1}): ${error}; next try in ${wait} ms`);
    }
    return delivered > 0;
  }

  async close(): Promise<void> {
    await this.sink?.close();
  }
}
