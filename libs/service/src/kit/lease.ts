// Leases: one running copy at a time does a job (a deadline shard, the projections, the
// dispatcher). A lease row names its holder and an expiry on the database's clock; the holder
// renews it every third of its lifetime, anyone may take it once it has expired. `token` goes up
// at every change of holder (a fencing number for logs).
//
// Correctness never depends on a lease: the account decider, the projections' checkpoints and
// the receivers' dedupe by id make a second copy harmless. The lease keeps copies from doing the
// same work twice, and makes failover automatic after a crash (at most one lifetime later).
import { Logger } from '@nestjs/common';
import { SqlClient } from '@ledger/event-store';

export class Lease {
  private readonly log = new Logger('Lease');
  private heldUntil = 0; // performance.now() before which this copy may act
  private lastAttempt = -Infinity;
  token = 0;

  constructor(
    private readonly db: SqlClient,
    private readonly schema: string,
    readonly name: string,
    readonly holder: string,
    readonly ttlMs: number,
  ) {}

  /** Held now, with a safety margin of a fifth of the lifetime for clock drift and slow statements. */
  get held(): boolean {
    return performance.now() < this.heldUntil;
  }

  /** Due for an acquire or renewal attempt (every third of the lifetime). */
  get renewDue(): boolean {
    return performance.now() - this.lastAttempt >= this.ttlMs / 3;
  }

  /** Takes the lease if it is free or expired, or renews it if this copy holds it. */
  async acquire(): Promise<boolean> {
    const started = performance.now();
    this.lastAttempt = started;
    const was = this.held;
    try {
      const rows = await this.db.query<{ token: bigint | string }>(
        `INSERT INTO ${this.schema}.process_leases AS l (name, holder, expires_at, token)
         VALUES ($1, $2, clock_timestamp() + $3::double precision * interval '1 millisecond', 1)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
           token = CASE WHEN l.holder = excluded.holder THEN l.token ELSE l.token + 1 END
         WHERE l.holder = excluded.holder OR l.expires_at < clock_timestamp()
         RETURNING token`,
        [this.name, this.holder, this.ttlMs]);
      if (rows.length === 1) {
        this.heldUntil = started + this.ttlMs * 0.8;
        this.token = Number(rows[0].token);
        if (!was) this.log.log(`${this.holder} holds ${this.name} (token ${this.token})`);
        return true;
      }
    } catch (err) {
      this.log.warn(`lease ${this.name}: ${(err as Error).message}`);
    }
    if (was && !this.held) this.log.warn(`${this.holder} lost ${this.name}`);
    if (!this.held) this.heldUntil = 0;
    return this.held;
  }

  /** Gives the lease up (at shutdown), so another copy need not wait for it to expire. */
  async release(): Promise<void> {
    const was = this.heldUntil > 0;
    this.heldUntil = 0;
    if (!was) return;
    await this.db.query(`DELETE FROM ${this.schema}.process_leases WHERE name = $1 AND holder = $2`, [this.name, this.holder]).catch(() => undefined);
  }
}

/**
 * Runs `work` again and again while this copy holds `lease`. `work` resolves true when it did
 * something (run again at once) and false when idle (wait `idleMs`, or until woken).
 */
export class LeasedLoop {
  private readonly log: Logger;
  private stopped = false;
  private wakeUp?: () => void;
  private done?: Promise<void>;

  constructor(
    readonly lease: Lease,
    private readonly work: () => Promise<boolean>,
    private readonly options: { idleMs: number; errorMs?: number },
  ) {
    this.log = new Logger(`Loop ${lease.name}`);
  }

  start(): void {
    this.done ??= this.run();
  }

  /** Runs the next round now rather than after the idle wait. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.done;
    await this.lease.release();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = finish;
    }).then(() => {
      this.wakeUp = undefined;
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.lease.renewDue || !this.lease.held) await this.lease.acquire();
        if (this.stopped) break;
        if (!this.lease.held) {
          await this.sleep(Math.max(50, this.lease.ttlMs / 3));
          continue;
        }
        const busy = await this.work();
        failures = 0;
        if (!busy && !this.stopped) await this.sleep(this.options.idleMs);
      } catch (err) {
        failures++;
        if (this.stopped) break;
        this.log.error(`${(err as Error).message ?? err}`);
        await this.sleep(Math.min(30_000, (this.options.errorMs ?? 1000) * 2 ** Math.min(failures - 1, 5)));
      }
    }
  }
}
