// The deadline runner: reads the accounts whose deadline is due, asks the deadline process
// manager (libs/domain/src/process/deadlines.ts) what to do, and submits its `Advance` commands
// through AccountLedger.submit, the one way events get written. The account decider records
// what is due exactly once: a second Advance (another runner, a retry after a crash, a stale
// row) finds nothing due, and the optimistic concurrency of the append settles races.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { decideDeadlines, deadlineRowState, ProcessCommand } from '@ledger/domain/process/deadlines';
import { AccountLedger } from '../accounts/account-ledger';
import { ItemOutcome, LedgerItem } from '../accounts/ledger-item';
import { DeadlineProjection, Shard } from './deadline-projection';
import { PROCESS_CONFIG, ProcessConfig } from './process-config';

/** Test seam: inject failures. */
export interface RunnerFaults {
  /** Runs after a batch of commands was submitted (its events are stored), before anything else. */
  afterSubmit?(commands: ProcessCommand[]): Promise<void> | void;
}

@Injectable()
export class DeadlineRunner {
  private readonly log = new Logger('DeadlineRunner');
  /** Accounts advanced with nothing recorded while their row stayed due: skipped until the row moves. */
  private readonly stuck = new Map<string, string>();
  faults: RunnerFaults = {};
  /** Commands submitted by this copy, and those of them that found nothing due (another copy was first). */
  submitted = 0;
  foundNothing = 0;

  constructor(
    @Inject(PROCESS_CONFIG) private readonly config: Pick<ProcessConfig, 'advanceBatch'>,
    private readonly ledger: AccountLedger,
    private readonly deadlines: DeadlineProjection,
  ) {}

  /**
   * One pass: brings the schedule up to the log, then advances every account due by `now` (in
   * `shard`, or all), up to one page of accounts. Resolves with the number of commands submitted.
   */
  async advanceDue(now: string, shard?: Shard, limit = this.config.advanceBatch * 10): Promise<number> {
    await this.deadlines.catchUp();
    const rows = (await this.deadlines.due(now, limit + this.stuck.size, shard))
      .filter((r) => {
        const skipped = this.stuck.get(r.accountId);
        if (skipped !== undefined && skipped !== r.dueAt) this.stuck.delete(r.accountId); // it moved
        return this.stuck.get(r.accountId) !== r.dueAt;
      })
      .slice(0, limit);
    if (rows.length === 0) return 0;
    const dueAtOf = new Map(rows.map((r) => [r.accountId, r.dueAt]));
    const commands = rows.flatMap((r) =>
      decideDeadlines({ type: 'DeadlineDue', accountId: r.accountId, dueAt: r.dueAt, now }, deadlineRowState(r.dueAt)),
    );
    const empty = new Map<string, string>(); // advanced, nothing recorded: stale row, or a disagreement
    const failed: { accountId: string; error: unknown }[] = [];
    for (let i = 0; i < commands.length; i += this.config.advanceBatch) {
      const chunk = commands.slice(i, i + this.config.advanceBatch);
      const outcomes = await this.submit(chunk, failed);
      this.submitted += chunk.length;
      await this.faults.afterSubmit?.(chunk);
      outcomes.forEach((o, j) => {
        const accountId = chunk[j].accountId;
        if (!o || (o.status === 'accepted' && o.events.length > 0)) return;
        this.foundNothing++;
        if (o.status === 'rejected') this.log.warn(`advancing ${accountId} to ${now} was refused: ${o.rejection.message}`);
        empty.set(accountId, dueAtOf.get(accountId)!);
      });
    }
    if (empty.size > 0) {
      // A stale row moves once the schedule has caught up with what another copy recorded. One
      // that stays due at the same instant disagrees with the account decider: skip it (loudly)
      // rather than spin on it.
      await this.deadlines.catchUp();
      const now2 = await this.deadlines.rows([...empty.keys()]);
      for (const [accountId, dueAt] of empty) {
        if (now2.get(accountId) === dueAt && dueAt <= now) {
          this.stuck.set(accountId, dueAt);
          this.log.error(
            `account ${accountId}: its deadline ${dueAt} stays due after an Advance to ${now} recorded nothing; skipped until it moves`,
          );
        }
      }
    }
    if (failed.length > 0) {
      const first = failed[0].error as Error;
      throw new Error(
        `advancing to ${now}: ${failed.length} of ${commands.length} accounts failed (${failed
          .slice(0, 3)
          .map((f) => f.accountId)
          .join(', ')}...): ${first?.message ?? first}`,
      );
    }
    return commands.length - [...empty.keys()].filter((a) => this.stuck.has(a)).length;
  }

  /**
   * One ledger transaction for the chunk; if it fails as a whole (say, one account keeps meeting
   * concurrent writers), each account on its own, so one cannot hold the others back.
   */
  private async submit(chunk: ProcessCommand[], failed: { accountId: string; error: unknown }[]): Promise<(ItemOutcome | undefined)[]> {
    const item = (c: ProcessCommand): LedgerItem => ({ accountId: c.accountId, command: c.command, provenance: { via: 'clock' } });
    try {
      return await this.ledger.submit(chunk.map(item));
    } catch (err) {
      if (chunk.length === 1) {
        failed.push({ accountId: chunk[0].accountId, error: err });
        return [undefined];
      }
      this.log.warn(`advancing ${chunk.length} accounts together failed (${(err as Error).message}); one by one`);
      const out: (ItemOutcome | undefined)[] = [];
      for (const c of chunk) {
        try {
          out.push((await this.ledger.submit([item(c)]))[0]);
        } catch (e) {
          failed.push({ accountId: c.accountId, error: e });
          out.push(undefined);
        }
      }
      return out;
    }
  }
}
