// Leases: one running copy at a time does a job (a deadline shard, the process managers'
// projections, the dispatcher, the finance projector). A lease is a row of `<schema>.process_leases`
// (kit/tables.ts) naming its holder and an expiry on the database's clock; the holder renews it
// every third of its lifetime, anyone may take it once it has expired. `token` goes up at every
// change of holder (a fencing number for logs).
//
// Correctness never depends on a lease: the account decider, the projections' checkpoints
// (kit/checkpoint.ts) and the receivers' dedupe by id make a second copy harmless. The lease
// keeps copies from doing the same work twice, and makes failover automatic after a crash (at
// most one lifetime later). A copy that holds a lease for a checkpointed job may also fence its
// batch transaction with it (fence()): the finance projector does, so that a copy whose lease was
// taken over while it was busy commits nothing even before the new holder has moved the checkpoint.
import { Logger } from '@nestjs/common';
import { SqlExecutor } from '@ledger/event-store';

/** Where a lease tells of its changes of holder (a Nest Logger by default). */
export type LeaseLog = Pick<Logger, 'log' | 'warn'>;

/** This copy no longer holds the lease (it expired and another copy took it): the work was not done. */
export class LeaseLost extends Error {
  constructor(
    readonly lease: string,
    readonly holder: string,
  ) {
    super(`${holder} no longer holds the lease ${lease}: batch not applied`);
    this.name = 'LeaseLost';
  }
}

export class Lease {
  private heldUntil = 0; // performance.now() before which this copy may act
  private lastAttempt = -Infinity;
  token = 0;

  constructor(
    private readonly db: SqlExecutor,
    private readonly schema: string,
    readonly name: string,
    readonly holder: string,
    readonly ttlMs: number,
    private readonly log: LeaseLog = new Logger('Lease'),
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
        [this.name, this.holder, this.ttlMs],
      );
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

  /**
   * In a transaction of the holder's: renews the lease if this copy still holds it (on the
   * database's clock) and keeps its row locked until the transaction ends, so no other copy can
   * take it over before the commit (a rival's acquire waits, then finds it alive). False: the
   * lease is lost (this copy stops counting it as held) and the caller must not commit.
   */
  async fence(tx: SqlExecutor): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE ${this.schema}.process_leases SET expires_at = clock_timestamp() + $3::double precision * interval '1 millisecond'
       WHERE name = $1 AND holder = $2 AND expires_at > clock_timestamp() RETURNING token`,
      [this.name, this.holder, this.ttlMs],
    );
    if (rows.length === 1) return true;
    if (this.heldUntil > 0) this.log.warn(`${this.holder} lost ${this.name}`);
    this.heldUntil = 0;
    return false;
  }

  /** Gives the lease up (at shutdown), so another copy need not wait for it to expire. */
  async release(): Promise<void> {
    const was = this.heldUntil > 0;
    this.heldUntil = 0;
    if (!was) return;
    await this.db
      .query(`DELETE FROM ${this.schema}.process_leases WHERE name = $1 AND holder = $2`, [this.name, this.holder])
      .catch(() => undefined);
  }
}

/** Frees every lease of `schema` whoever holds it (a replay's --switch, for the schema it puts live). */
export async function freeLeases(tx: SqlExecutor, schema: string): Promise<void> {
  await tx.query(`DELETE FROM ${schema}.process_leases`);
}

/**
 * Runs `work` again and again while this copy holds `lease`. `work` resolves true when it did
 * something (run again at once), `partial` when it did less than a full round (wait `gatherMs`,
 * which wake() does not cut short) and false when idle (wait `idleMs`, or until woken).
 */
export class LeasedLoop {
  private readonly log: Logger;
  private stopped = false;
  private wakeUp?: () => void;
  private stopGather?: () => void;
  private done?: Promise<void>;

  constructor(
    readonly lease: Lease,
    private readonly work: () => Promise<boolean | 'partial'>,
    private readonly options: { idleMs: number; errorMs?: number; gatherMs?: number },
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
    this.stopGather?.();
    await this.done;
    await this.lease.release();
  }

  /** A pause only stop() cuts short: wake() (an append) does not, so events gather into the next batch. */
  private gather(ms: number): Promise<void> {
    return this.pause(ms, (finish) => (this.stopGather = finish)).then(() => {
      this.stopGather = undefined;
    });
  }

  /** A pause wake() and stop() cut short. */
  private sleep(ms: number): Promise<void> {
    return this.pause(ms, (finish) => (this.wakeUp = finish)).then(() => {
      this.wakeUp = undefined;
    });
  }

  /** Resolves after `ms`, or when the function handed to `expose` is called. */
  private pause(ms: number, expose: (finish: () => void) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      expose(finish);
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
        else if (busy === 'partial' && !this.stopped && this.options.gatherMs) await this.gather(this.options.gatherMs);
      } catch (err) {
        failures++;
        if (this.stopped) break;
        this.log.error(`${(err as Error).message ?? err}`);
        await this.sleep(Math.min(30_000, (this.options.errorMs ?? 1000) * 2 ** Math.min(failures - 1, 5)));
      }
    }
  }
}
