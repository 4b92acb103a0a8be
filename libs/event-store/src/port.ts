// The event-store port: every adapter (PostgreSQL server, PGlite, KurrentDB) implements it
// and passes test/event-store/conformance.ts.

/** Position in the global log. Strictly increasing in the order readers must see events. */
export type GlobalPosition = bigint;

export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

export interface RecordedEvent {
  streamId: string;
  /** 1-based version of this event inside its stream. */
  streamVersion: number;
  globalPosition: GlobalPosition;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recordedAt: Date;
  /**
   * Its link in its stream's hash chain (hex SHA-256 over the previous event's hash and its own
   * canonical bytes: chain.ts). Absent only where a store holds events written before the chain
   * and cannot add it (KurrentDB: its events are immutable; anyone can compute it from the bytes).
   */
  hash?: string;
  /**
   * The running digest of the log through this event (chain.ts), where the store keeps it (SQL:
   * computed under the writer lock, in commit order). KurrentDB keeps none: see `logDigest`.
   */
  logDigest?: string;
}

/** The running digest of the log through a position: every event at or before it (chain.ts). */
export interface LogDigest {
  /** The position of the last event it covers (0n: none). */
  position: GlobalPosition;
  /** Hex SHA-256; chain.ts GENESIS for an empty log. */
  digest: string;
}

/** `number` = the stream's current version (0 = the stream must not exist yet). */
export type ExpectedVersion = number | 'any';

/**
 * A key that may be written once only (for usage: `source` + `id`), stored in the same
 * transaction as the append. `fingerprint` is a digest of the body that carried it: the same
 * key with another fingerprint is a conflict, never a duplicate.
 */
export interface DedupeKey {
  key: string;
  fingerprint: string;
}

export interface StreamAppend {
  streamId: string;
  expectedVersion: ExpectedVersion;
  events: NewEvent[];
  dedupe?: DedupeKey[];
}

export interface AppendResult {
  streamId: string;
  /** Version of the stream after the append. */
  nextVersion: number;
  /** Global position of the last event written (undefined when `events` was empty). */
  lastPosition?: GlobalPosition;
}

export interface DedupeRecord {
  key: string;
  fingerprint: string;
  /** Stream the key was written with. */
  streamId: string;
}

export class WrongExpectedVersion extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected version ${expected}, actual ${actual}`);
    this.name = 'WrongExpectedVersion';
  }
}

/** A dedupe key was already written (by this or a concurrent append). Nothing was stored. */
export class DuplicateKey extends Error {
  constructor(readonly keys: string[]) {
    super(`already recorded: ${keys.join(', ')}`);
    this.name = 'DuplicateKey';
  }
}

export interface EventStore {
  /**
   * Appends to one or more streams in one transaction: all or nothing.
   * Throws WrongExpectedVersion or DuplicateKey and then stores nothing.
   */
  append(appends: StreamAppend[]): Promise<AppendResult[]>;

  /** Events of one stream, oldest first, from `fromVersion` (1-based, inclusive). */
  readStream(streamId: string, fromVersion?: number): Promise<RecordedEvent[]>;

  /**
   * Events of many streams, each oldest first, as readStream gives them: one round trip where the
   * engine can (SQL), else reads in parallel (KurrentDB). A stream without events is absent from
   * the map; an id given twice is read once. Writers use it to fold many aggregates at once.
   */
  readStreams(streamIds: string[]): Promise<Map<string, RecordedEvent[]>>;

  /**
   * The global log after `after` (exclusive), oldest first, at most `maxCount` events. A page may
   * be shorter than `maxCount` although more follow; an empty page means nothing after `after`
   * was committed when it was read. Never returns an event at a position lower than one it
   * returned before to any reader:
   * an event that commits late is never skipped.
   */
  readAll(after: GlobalPosition, maxCount: number): Promise<RecordedEvent[]>;

  /** Position of the newest event readers may see (0n when the log is empty). */
  headPosition(): Promise<GlobalPosition>;

  /** Which of these dedupe keys are already recorded. */
  findDedupe(keys: string[]): Promise<Map<string, DedupeRecord>>;

  /**
   * The log's running digest (chain.ts) through `at` (default: the head), for publishing and
   * comparing later. Undefined when the store has no digest there (an event at or before it lost
   * its hash: `npm run audit -- --verify-chain` names it).
   */
  logDigest(at?: GlobalPosition): Promise<LogDigest | undefined>;

  close(): Promise<void>;
}

// Consumers keep their checkpoints where they keep their effects (the read-model database, in the
// same transaction as the effects): the port has none.

/** DI token of the event store (an `EventStore`). */
export const EVENT_STORE = Symbol('EVENT_STORE');

/**
 * DI token of the read-model and process-manager database (a `SqlClient`, PGlite or PostgreSQL):
 * `LedgerStorage.database`. The log's own database with LEDGER_STORE=pglite or postgres; the
 * PostgreSQL beside the log with kurrentdb. Never assume the log's tables are in it: see
 * `LedgerStorage.sqlLog`.
 */
export const LEDGER_DATABASE = Symbol('LEDGER_DATABASE');
