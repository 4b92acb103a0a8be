import type { PGlite } from '@electric-sql/pglite';
import { Mutex, SqlClient, SqlExecutor, TransactionOptions } from './sql-client';

const INT8 = 20;

/**
 * PGlite is one connection: everything goes through one mutex so a plain query never runs
 * inside another caller's open transaction.
 */
export class PgliteClient implements SqlClient {
  readonly concurrent = false;
  private readonly mutex = new Mutex();

  constructor(
    readonly db: PGlite,
    private readonly ownsDb = true,
  ) {}

  /** In memory when `dataDir` is undefined, else persisted there (created if missing). */
  static async open(dataDir?: string): Promise<PgliteClient> {
    if (dataDir) await import('node:fs/promises').then((fs) => fs.mkdir(dataDir, { recursive: true }));
    // Loaded lazily: services on a PostgreSQL server never load the WASM build.
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(dataDir, { parsers: { [INT8]: (v: string) => BigInt(v) } });
    return new PgliteClient(db);
  }

  query<R>(text: string, params?: unknown[]): Promise<R[]> {
    return this.mutex.run(async () => (await this.db.query<R>(text, params)).rows);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    return this.mutex.run(() =>
      this.db.transaction(async (tx) => {
        if (options.beginWith) await tx.query(options.beginWith);
        return fn({ query: async <R>(text: string, params?: unknown[]) => (await tx.query<R>(text, params)).rows });
      }),
    );
  }

  close(): Promise<void> {
    return this.mutex.run(async () => {
      if (this.ownsDb && !this.db.closed) await this.db.close();
    });
  }
}
