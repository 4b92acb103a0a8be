// What a store error means to its caller, decided in one place for every adapter (PostgreSQL via
// pg, PGlite, KurrentDB):
// - `race`: a concurrent writer won (WrongExpectedVersion, DuplicateKey): reload and try again;
// - `unavailable`: the store cannot be reached or cannot serve now (connection lost or refused,
//   its TLS failed, the server shutting down or out of resources, a serialization failure, the
//   schema not there yet): nothing of the batch was stored, retry the same batch later (HTTP 503,
//   Kafka pauses);
// - `refused`: anything else, taken to belong to what was written (a value the database cannot
//   store, a row over a size limit...): the ledger isolates the record and rejects it.
// And how to name an error in a log without its message, which may quote stored data.
import { DuplicateKey, WrongExpectedVersion } from './port';

export type StoreErrorKind = 'race' | 'unavailable' | 'refused';

/** Node's socket and DNS errors: the server is not there (or not any more). */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTDOWN',
]);

/** SQLSTATEs that say "not now" rather than "not this": retried whole. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01',
  '57P02',
  '57P03', // admin shutdown, crash shutdown, cannot connect now
  '40001',
  '40P01', // serialization failure, deadlock
  '55P03', // lock not available
  '3D000',
  '3F000',
  '42P01', // database, schema or table not there (yet)
  '28000',
  '28P01', // authorization: a setting to fix, not a record to reject
  '25006', // read-only transaction (a standby, failover in progress)
]);
/** Whole SQLSTATE classes: 08 connection exception, 53 insufficient resources, 58 system error, XX internal. */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '58', 'XX']);

/** pg's and pg-pool's own errors (no SQLSTATE) when a connection is lost or cannot be had. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /connection error and is not queryable/,
  /timeout exceeded when trying to connect/,
  /Cannot use a pool after calling end/,
  /^Client was closed and is not queryable/,
  /PGlite is closed/i,
  /Query read timeout/,
];

/**
 * Node's TLS errors (a certificate no trusted CA signed, a host name the certificate does not
 * carry, an expired certificate, a failed handshake) and pg's answer to a server without TLS: a
 * setting to fix, nothing to do with a record.
 */
const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|HOSTNAME_MISMATCH$)/;
const TLS_MESSAGES = [/^The server does not support SSL connections/, /^There was an error establishing an SSL connection/];

/** The connection's TLS failed (see TLS_CODES). */
export function isTlsError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return TLS_CODES.test(code);
  return typeof message === 'string' && TLS_MESSAGES.some((m) => m.test(message));
}

/**
 * A TLS failure of a PostgreSQL connection said plainly (what failed, which settings to check),
 * keeping its code; any other error as it is. Node's TLS messages name certificates and hosts, no data.
 */
export function explainTlsError(err: unknown): unknown {
  if (!isTlsError(err)) return err;
  const e = err as Error & { code?: string };
  const what = e.code ? `${e.message} (${e.code})` : e.message;
  return Object.assign(
    new Error(
      `PostgreSQL over TLS: ${what}; check sslmode and sslrootcert (the CA that signed the server's certificate) and the host name of the connection string`,
      { cause: err },
    ),
    e.code ? { code: e.code } : {},
  );
}

/** KurrentDB client errors (by name) that mean the server is not reachable or not the leader. */
const UNAVAILABLE_NAMES = new Set(['UnavailableError', 'DeadlineExceededError', 'NotLeaderError', 'CancelledError', 'TimeoutError']);

export function storeErrorKind(err: unknown): StoreErrorKind {
  if (err instanceof WrongExpectedVersion || err instanceof DuplicateKey) return 'race';
  if (!err || typeof err !== 'object') return 'refused';
  const e = err as { code?: unknown; name?: unknown; message?: unknown; errno?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && NETWORK_CODES.has(code)) return 'unavailable';
  if (isTlsError(err)) return 'unavailable';
  if (code && /^[0-9A-Z]{5}$/.test(code) && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_CLASSES.has(code.slice(0, 2))))
    return 'unavailable';
  if (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) return 'unavailable';
  const message = typeof e.message === 'string' ? e.message : '';
  if (!code && UNAVAILABLE_MESSAGES.some((m) => m.test(message))) return 'unavailable';
  return 'refused';
}

/** The store cannot serve now: retry the same work later (not the record's fault). */
export const isStoreUnavailable = (err: unknown): boolean => storeErrorKind(err) === 'unavailable';

/**
 * An error named for a log: its class and code, never its message (a PostgreSQL error's message,
 * `detail` and `where` quote the values it refused, i.e. customer data).
 */
export function describeError(err: unknown): string {
  if (!err || typeof err !== 'object') return typeof err;
  const e = err as { code?: unknown; constructor?: { name?: string }; name?: unknown };
  const cls = e.constructor?.name && e.constructor.name !== 'Object' ? e.constructor.name : typeof e.name === 'string' ? e.name : 'Error';
  return typeof e.code === 'string' || typeof e.code === 'number' ? `${cls} (code ${e.code})` : cls;
}

/** The stack frames of an error without its first line (the message). */
export function stackFramesOf(err: unknown): string {
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : '';
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 12)
    .join('\n');
}
