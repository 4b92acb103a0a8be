// What `npm run migrate` needs of a target store (migrate.ts): copy another store's log into it as
// it was recorded (streams, versions, data, metadata, recorded times, hashes, dedupe keys), a batch
// at a time, each batch with the migration's progress in the same transaction. Not part of the
// EventStore port: the ledger's writers never import.
import { DedupeRecord, GlobalPosition, RecordedEvent } from './port';

/** A migration's progress, kept in the target with every batch it copied. */
export interface MigrationState {
  /** Chosen when the migration starts; a resumed run keeps it. */
  id: string;
  /** The source as the command named it (never a password). */
  source: string;
  /** The source's head when the migration started: it copies the log through this position. */
  sourceHead: GlobalPosition;
  /** Events copied: every event of the source through this position. */
  sourcePosition: GlobalPosition;
  events: number;
  /** Dedupe keys copied (after the events, in key order): all through this key. */
  keysAfter: string | null;
  keys: number;
  /** Every event and key copied, and the target's digest checked against the source's. */
  done: boolean;
  startedAt: string;
  updatedAt: string;
}

/** A dedupe key as the source holds it, with the position of the last event written with it. */
export interface DedupeRecordAt extends DedupeRecord {
  globalPosition: GlobalPosition | null;
}

export interface ImportBatch {
  /** The progress the target must hold before this batch (undefined: none yet): guards against two runs at once. */
  expected: MigrationState | undefined;
  /** The progress once the batch is in. */
  next: MigrationState;
  /** The source's next events in log order, each with the hash (and digest, if kept) the source holds. */
  events: RecordedEvent[];
  /** Dedupe keys to copy. */
  keys: DedupeRecordAt[];
}

export interface LogImportTarget {
  /** The target's description for messages. */
  readonly description: string;
  /** The migration recorded in the target, if any. */
  migrationState(): Promise<MigrationState | undefined>;
  /** No event and no dedupe key. */
  isEmpty(): Promise<boolean>;
  /**
   * Writes the batch and its progress in one transaction (KurrentDB: one multi-stream append per
   * run of the log it can write at once, each with its progress). Recomputes every event's hash
   * (and the log's digest) on the target and throws ChainMismatch, writing nothing of the batch,
   * when one differs from the source's.
   */
  importBatch(batch: ImportBatch): Promise<void>;
  /** The target's running digest at its head. */
  logDigest(): Promise<{ position: GlobalPosition; digest: string } | undefined>;
  close(): Promise<void>;
}

/** An event whose hash or digest comes out differently on the target than on the source. */
export class ChainMismatch extends Error {
  constructor(
    readonly event: Pick<RecordedEvent, 'streamId' | 'streamVersion' | 'globalPosition'>,
    readonly what: 'hash' | 'digest' | 'order',
    detail: string,
  ) {
    super(`stream ${event.streamId} version ${event.streamVersion} (source position ${event.globalPosition}): ${detail}`);
    this.name = 'ChainMismatch';
  }
}

/** The target holds a migration other than the one this run expects (another run, or another migration). */
export class MigrationMoved extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationMoved';
  }
}

/** MigrationState in JSON (positions as strings) and back. */
export const migrationToJson = (m: MigrationState) => ({
  ...m,
  sourceHead: String(m.sourceHead),
  sourcePosition: String(m.sourcePosition),
});
export const migrationFromJson = (j: ReturnType<typeof migrationToJson>): MigrationState => ({
  ...j,
  sourceHead: BigInt(j.sourceHead),
  sourcePosition: BigInt(j.sourcePosition),
});

/** Whether the target's progress is the one a batch expects. */
export function sameProgress(held: MigrationState | undefined, expected: MigrationState | undefined): boolean {
  if (!held || !expected) return held === expected;
  return (
    held.id === expected.id &&
    held.sourcePosition === expected.sourcePosition &&
    held.keysAfter === expected.keysAfter &&
    held.done === expected.done
  );
}
