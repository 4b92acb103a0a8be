// The little the SQL event store needs from PostgreSQL (a server via `pg`, or PGlite in process).

/** Runs statements. int8 columns come back as bigint, jsonb parsed, timestamptz as Date. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

export interface TransactionOptions {
  /** A statement without parameters run first, in the same round trip as BEGIN (e.g. a lock). */
  beginWith?: string;
}

export interface SqlClient extends SqlExecutor {
  /**
   * True when statements from separate callers run at once (a server's pool); false for PGlite,
   * which runs one statement at a time in this process (reading ahead while writing gains nothing).
   */
  readonly concurrent: boolean;
  /** Runs `fn` in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

/** PostgreSQL error fields the store looks at (both drivers set them). */
export interface SqlError {
  code?: string;
  constraint?: string;
}

export function isUniqueViolation(err: unknown): err is SqlError {
  return (err as SqlError | undefined)?.code === '23505';
}

/** Runs async functions one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
