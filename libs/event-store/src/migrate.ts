// `npm run migrate -- --from <store> --to <store> [--resume] [--batch N]`: copies a SQL store's log
// (PGlite or PostgreSQL) into an empty store (PostgreSQL, PGlite or KurrentDB): events with their
// streams, versions, data, metadata, recorded times and hashes, then the dedupe keys, a batch at a
// time, each batch with the migration's progress in the target in one transaction. A crash loses
// at most the batch under way; `--resume` continues from the progress recorded, once the target's
// digest is found to be the source's at the position it records. At the end the target's digest
// at its head must be the source's at the position copied through.
import { randomUUID } from 'crypto';
import { existsSync } from 'fs';
import { KurrentDbEventStore } from './kurrentdb/kurrentdb-event-store';
import { ChainMismatch, ImportBatch, LogImportTarget, MigrationState } from './log-import';
import { GlobalPosition } from './port';
import { SqlEventStore, SqlEventStoreOptions } from './sql/sql-event-store';
import { describeStore, openSqlStore, StoreDescription } from './store-description';

/** Opens the source of a migration: it must hold a log already. */
export async function openMigrationSource(d: StoreDescription): Promise<SqlEventStore> {
  if (d.kind === 'kurrentdb') throw new Error('a migration copies from a SQL store (pglite: or postgres:), not from KurrentDB');
  if (d.kind === 'pglite' && !existsSync(d.dataDir)) throw new Error(`${describeStore(d)}: no such data directory`);
  return openSqlStore(d);
}

/** Opens the target of a migration (a SQL schema with an unfinished migration is opened too: this is the migration). */
export async function openMigrationTarget(
  d: StoreDescription,
  options: Omit<SqlEventStoreOptions, 'schema' | 'ownsClient' | 'importing'> = {},
): Promise<LogImportTarget> {
  if (d.kind === 'kurrentdb') {
    const store = KurrentDbEventStore.connect(d.url);
    await store.headPosition().catch(async (err: unknown) => {
      await store.close().catch(() => undefined);
      throw err;
    });
    return store;
  }
  return openSqlStore(d, { ...options, importing: true });
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Why a migration does not start. */
export class MigrationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationRefused';
  }
}

export interface MigrationOptions {
  source: SqlEventStore;
  /** How the source is named in the target's progress and in messages. */
  sourceDescription: string;
  target: LogImportTarget;
  /** Continue the migration the target holds (else a target that holds anything is refused). */
  resume?: boolean;
  /** Events (or dedupe keys) per transaction (default 1000). */
  batchSize?: number;
  print?(line: string): void;
  /** Test hook: after each batch is committed. */
  afterBatch?(state: MigrationState): Promise<void>;
}

export interface MigrationOutcome {
  state: MigrationState;
  /** The target's digest at its head, the source's at the position copied through. */
  digest: { position: GlobalPosition; digest: string };
  /** This run found the migration finished already. */
  alreadyDone: boolean;
}

export async function runMigration(o: MigrationOptions): Promise<MigrationOutcome> {
  const print = o.print ?? (() => undefined);
  const batchSize = Math.max(1, Math.floor(o.batchSize ?? 1000));
  const now = () => new Date().toISOString();
  const start = await startingState(o, print);
  let state = start.state;
  /** What the target holds now (nothing before the first batch of a new migration). */
  let recorded = start.recorded;
  const alreadyDone = state.done;

  let lastShown = 0;
  const commit = async (next: MigrationState, events: ImportBatch['events'], keys: ImportBatch['keys']) => {
    await o.target.importBatch({ expected: recorded, next, events, keys });
    state = recorded = next;
    if (Date.now() - lastShown > 1000 || next.done) {
      lastShown = Date.now();
      print(
        `  ${count(state.events, 'event')} copied, through position ${state.sourcePosition} of ${state.sourceHead}; ${count(state.keys, 'dedupe key')}`,
      );
    }
    await o.afterBatch?.(state);
  };

  if (!state.done) {
    while (state.sourcePosition < state.sourceHead) {
      const max = Number(
        state.sourceHead - state.sourcePosition < BigInt(batchSize) ? state.sourceHead - state.sourcePosition : BigInt(batchSize),
      );
      const events = (await o.source.readAll(state.sourcePosition, max)).filter((e) => e.globalPosition <= state.sourceHead);
      if (events.length === 0)
        throw new Error(`the source has no events after position ${state.sourcePosition}, though its head was ${state.sourceHead}`);
      const last = events[events.length - 1].globalPosition;
      await commit({ ...state, sourcePosition: last, events: state.events + events.length, updatedAt: now() }, events, []);
    }
    for (;;) {
      const keys = await o.source.readDedupe(state.keysAfter, batchSize, state.sourceHead);
      if (keys.length === 0) break;
      await commit({ ...state, keysAfter: keys[keys.length - 1].key, keys: state.keys + keys.length, updatedAt: now() }, [], keys);
    }
  }

  // The whole copy against the source, by the digests: every event, its bytes, order and recorded time.
  const expected = await o.source.logDigest(state.sourceHead);
  const found = await o.target.logDigest();
  if (!expected || !found || expected.digest !== found.digest) {
    throw new ChainMismatch(
      { streamId: '(the whole log)', streamVersion: 0, globalPosition: state.sourceHead },
      'digest',
      `the target's digest at its head is ${found?.digest ?? 'missing'}, the source's at position ${state.sourceHead} is ${expected?.digest ?? 'missing'}`,
    );
  }
  if (!state.done) await commit({ ...state, done: true, updatedAt: now() }, [], []);
  print(
    `${alreadyDone ? 'already done' : 'done'}: ${count(state.events, 'event')} and ${count(state.keys, 'dedupe key')} from ${state.source}; ` +
      `digest at the head ${found.digest} (target position ${found.position}, source position ${expected.position}), the same on both`,
  );
  return { state, digest: found, alreadyDone };
}

/** Where this run starts: a new migration into an empty target, or the one the target holds (with --resume). */
async function startingState(
  o: MigrationOptions,
  print: (line: string) => void,
): Promise<{ state: MigrationState; recorded: MigrationState | undefined }> {
  const held = await o.target.migrationState();
  if (!held) {
    if (!(await o.target.isEmpty())) {
      throw new MigrationRefused(
        `${o.target.description} already holds events or dedupe keys and no migration of ours: a migration copies into an empty store only`,
      );
    }
    if (o.resume) print(`nothing to resume in ${o.target.description}: starting the migration`);
    const at = new Date().toISOString();
    const head = await o.source.headPosition();
    print(`copying ${o.sourceDescription} (${count(Number(head), 'event')}) into ${o.target.description}`);
    const state = {
      id: randomUUID(),
      source: o.sourceDescription,
      sourceHead: head,
      sourcePosition: 0n,
      events: 0,
      keysAfter: null,
      keys: 0,
      done: false,
      startedAt: at,
      updatedAt: at,
    };
    return { state, recorded: undefined };
  }
  const what = `a migration from ${held.source} (${count(held.events, 'event')} through position ${held.sourcePosition} of ${held.sourceHead}, ${count(held.keys, 'dedupe key')}${held.done ? ', done' : ''})`;
  if (!o.resume) throw new MigrationRefused(`${o.target.description} holds ${what}: add --resume to continue it`);
  // This migration's own: the target holds the source's log through the position it records.
  const source = await o.source.logDigest(held.sourcePosition);
  const target = await o.target.logDigest();
  if (!source || !target || source.digest !== target.digest) {
    throw new MigrationRefused(
      `${o.target.description} holds ${what}, but its log is not ${o.sourceDescription}'s through position ${held.sourcePosition} ` +
        `(digest ${target?.digest ?? 'missing'} there, ${source?.digest ?? 'missing'} on this source): not this migration's target`,
    );
  }
  if (held.source !== o.sourceDescription)
    print(`note: the migration was started from ${held.source}; its log is the same as ${o.sourceDescription}'s`);
  print(`resuming ${what}`);
  return { state: held, recorded: held };
}
