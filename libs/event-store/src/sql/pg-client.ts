import { Pool, PoolClient, PoolConfig, QueryConfig, types } from 'pg';
import { describeError, explainTlsError } from '../store-errors';
import { SqlClient, SqlExecutor, TransactionOptions } from './sql-client';

/** Told of a connection error no query was waiting for; by default one line on stderr, class and code only. */
export type ConnectionErrorListener = (err: Error) => void;
const warnOnStderr: ConnectionErrorListener = (err) =>
  console.warn(
    `[PgClient] a PostgreSQL connection failed (${describeError(err)}); it is dropped from the pool and the next query opens another`,
  );

const INT8 = 20;

/** A PostgreSQL server through a `pg` Pool. */
export class PgClient implements SqlClient {
  readonly concurrent = true;
  /** Clients of the pool that carry our 'error' listener (each gets it once, for its whole life). */
  private readonly listening = new WeakSet<PoolClient>();

  constructor(
    readonly pool: Pool,
    private readonly ownsPool = true,
    private readonly onConnectionError: ConnectionErrorListener = warnOnStderr,
  ) {}

  static connect(url: string, config: PoolConfig = {}, onConnectionError: ConnectionErrorListener = warnOnStderr): PgClient {
    const pool = new Pool({
      connectionString: url,
      ...config,
      // int8 as bigint for this pool only (the global pg.types stay untouched).
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8 && format !== 'binary' ? BigInt : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
      },
    });
    // An idle connection dropped by the server (a restart, pg_terminate_backend) must not crash the
    // process: the pool drops it, the next query opens another. Logged without data.
    pool.on('error', (err) => onConnectionError(err));
    return new PgClient(pool, true, onConnectionError);
  }

  async query<R>(text: string, params?: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query(prepared(text, params))).rows as R[];
    } catch (err) {
      throw explainTlsError(err);
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const conn = await this.pool.connect().catch((err: unknown) => {
      throw explainTlsError(err);
    });
    let broken: Error | undefined;
    // A checked-out client has no listener of the pool's: without ours, a connection lost between two
    // statements (or under one) is an unhandled 'error' event, and the process dies. The query under
    // way (if any) rejects with the error too; the transaction fails and the client is not reused.
    if (!this.listening.has(conn)) {
      this.listening.add(conn);
      conn.on('error', (err) => this.onConnectionError(err));
    }
    const lost = (err: Error) => (broken = err);
    conn.on('error', lost);
    try {
      // Several statements without parameters go in one round trip (simple query protocol).
      await conn.query(options.beginWith ? `BEGIN; ${options.beginWith}` : 'BEGIN');
      const result = await fn({
        query: async <R>(text: string, params?: unknown[]) => (await conn.query(prepared(text, params))).rows as R[],
      });
      await conn.query('COMMIT');
      return result;
    } catch (err) {
      // A failed ROLLBACK leaves the connection in an unknown state: drop it from the pool.
      await conn.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw err;
    } finally {
      conn.off('error', lost);
      conn.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.ownsPool && !this.pool.ended) await this.pool.end();
  }
}

const names = new Map<string, string>();

/** Named by its text: each connection parses and plans a statement once, not on every call. */
function prepared(text: string, values?: unknown[]): QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    let h = 0x811c9dc5; // FNV-1a
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    name = `le_${(h >>> 0).toString(36)}_${text.length}`;
    names.set(text, name);
  }
  return { name, text, values };
}
