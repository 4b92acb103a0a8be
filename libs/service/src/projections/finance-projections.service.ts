// The finance read models inside a Nest application: creates their tables at start, runs the
// projector (unless LEDGER_PROJECTOR=off: then `npm run projector` runs it), reports head,
// checkpoint and lag, and lets reading routes wait until the read models have caught up with
// the log as of the request (read-your-writes). The checkpoint and the lease are the projector's
// (projector.ts: the kit's Checkpoint and Lease, in the read models' schema); several processes
// may run a projector, the one holding the lease applies.
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EVENT_STORE, EventStore, GlobalPosition, LEDGER_DATABASE, LEDGER_STORAGE, LedgerStorage, SqlClient } from '@ledger/event-store';
import { CheckpointMoved } from '../kit/checkpoint';
import { Failure } from '../kit/failure';
import { LeaseLost } from '../kit/lease';
import { MetricsRegistry } from '../kit/metrics-registry';
import { LEDGER_SCHEMA } from '../store/store-config';
import { LogReader, logReaderOf } from './log-reader';
import { PROJECTION_CONFIG, ProjectionConfig } from './projection-config';
import { migrateReadModels, Projector } from './projector';
import { FINANCE_PROJECTOR, logTableOf, readModelSchemaOf } from './read-model-schema';

export interface ProjectionStatus {
  head: number;
  checkpoint: number;
  lag: number;
}

@Injectable()
export class FinanceProjections implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('FinanceProjections');
  /** Schema of the read models (`<ledger schema>_rm`). */
  readonly schema: string;
  readonly reader: LogReader;
  readonly projector: Projector;

  constructor(
    @Inject(LEDGER_DATABASE) readonly db: SqlClient,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LEDGER_STORAGE) storage: LedgerStorage,
    @Inject(LEDGER_SCHEMA) readonly ledgerSchema: string,
    @Inject(PROJECTION_CONFIG) readonly config: ProjectionConfig,
    metrics: MetricsRegistry,
  ) {
    this.schema = readModelSchemaOf(ledgerSchema);
    // The SQL store hands back its own latest appends from memory (recentAfter) when it has them.
    this.reader = logReaderOf(storage);
    const applied = metrics.counter(
      'ledger_projection_events_applied_total',
      'Events of the log applied to the finance read models by this process.',
    );
    const batches = metrics.counter('ledger_projection_batches_total', 'Batch transactions committed by this process.');
    const failures = metrics.counter('ledger_projection_batch_failures_total', 'Batch transactions rolled back (retried), by reason.', [
      'reason',
    ]);
    for (const reason of ['lease_lost', 'checkpoint_moved', 'error']) failures.inc({ reason }, 0); // shown from the start: rate() needs the zero
    let lastError = '';
    this.projector = new Projector({
      db,
      reader: this.reader,
      schema: this.schema,
      ledgerSchema,
      holder: `${config.instanceId}:finance`,
      batchSize: config.batchSize,
      leaseMs: config.leaseMs,
      pollMs: config.pollMs,
      gatherMs: config.gatherMs,
      standbyMs: Math.max(100, Math.floor(config.leaseMs / 3)),
      onBatch: (b) => {
        applied.inc(b.events);
        batches.inc();
        lastError = '';
      },
      onError: (err) => {
        failures.inc({ reason: err instanceof LeaseLost ? 'lease_lost' : err instanceof CheckpointMoved ? 'checkpoint_moved' : 'error' });
        const message = (err as Error).message ?? String(err);
        if (message !== lastError) this.log.warn(`batch not applied, retrying: ${message}`);
        lastError = message;
      },
    });
    metrics.gauge(
      'ledger_projection_head_position',
      'Global position of the newest event in the log.',
      async () => (await this.status()).head,
    );
    metrics.gauge(
      'ledger_projection_checkpoint_position',
      'Global position the finance read models are complete up to.',
      async () => (await this.status()).checkpoint,
    );
    metrics.gauge(
      'ledger_projection_lag_events',
      'Events in the log not yet in the finance read models (head minus checkpoint).',
      async () => (await this.status()).lag,
    );
    metrics.gauge('ledger_projection_leader', '1 while this process holds the projector lease.', () => (this.projector.isLeader ? 1 : 0));
  }

  /** The table of the events the read models' entries came from (the log, or its copy). */
  get logTable(): string {
    return logTableOf(this.schema, this.ledgerSchema, !this.reader.inDatabase);
  }

  async onModuleInit(): Promise<void> {
    await migrateReadModels(this.db, this.schema, this.ledgerSchema, FINANCE_PROJECTOR, { copyLog: !this.reader.inDatabase });
  }

  onApplicationBootstrap(): void {
    if (this.config.enabled) {
      this.projector.start();
      this.log.log(`projecting the log into ${this.schema} (holder ${this.projector.holder})`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.projector.stop();
  }

  /** The read models' checkpoint, as committed (whoever runs the projector). */
  checkpoint(): Promise<GlobalPosition> {
    return this.projector.checkpoint.position();
  }

  async status(): Promise<ProjectionStatus> {
    const [head, checkpoint] = [await this.store.headPosition(), await this.checkpoint()];
    const lag = head > checkpoint ? head - checkpoint : 0n;
    return { head: Number(head), checkpoint: Number(checkpoint), lag: Number(lag) };
  }

  /**
   * Read-your-writes: waits (at most LEDGER_READ_WAIT_MS) until the read models hold every event
   * in the log as of now. Past that, the failure `projection_behind` (a 503 at the HTTP edge)
   * rather than an answer that silently misses events; undefined once caught up.
   */
  async caughtUp(): Promise<Failure | undefined> {
    const head = await this.store.headPosition();
    // The committed checkpoint, not a remembered one: after a --switch it may have gone back.
    if ((await this.checkpoint()) >= head) return undefined;
    const timeoutMs = this.config.readWaitMs;
    if (this.projector.isLeader) {
      // This process applies the log: it wakes its projector and hears of each batch at once.
      if (await this.projector.waitFor(head, timeoutMs)) return undefined;
    } else {
      // The projector runs in another process (or holds the lease there): watch its checkpoint.
      const until = Date.now() + timeoutMs;
      for (;;) {
        if ((await this.checkpoint()) >= head) return undefined;
        if (Date.now() >= until) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const checkpoint = await this.checkpoint();
    if (checkpoint >= head) return undefined;
    return {
      error: 'projection_behind',
      message: `the finance read models are at position ${checkpoint}, the log at ${head}: try again shortly`,
      details: [{ field: 'projection', message: `lag ${head - checkpoint} events after ${timeoutMs} ms` }],
    };
  }
}
