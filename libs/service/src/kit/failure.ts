// Failures of the business as plain data: handlers and services return them, and only the HTTP
// edge (http-errors.ts, called from controllers) turns them into a status code.
import { Rejection } from '@ledger/domain';

export interface FailureDetail {
  field?: string;
  message: string;
}

export interface Failure {
  /** The error code of api.md: account_not_found, invalid, projection_behind, ... */
  error: string;
  message: string;
  details: FailureDetail[];
  /** For `hold_refused`: why the work may not run (the words of an authorization). */
  reasons?: string[];
}

export type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const failed = <T = never>(error: string, message: string, details: FailureDetail[] = []): Result<T> => ({
  ok: false,
  failure: { error, message, details },
});

export const isFailure = (v: unknown): v is Failure =>
  typeof v === 'object' && v !== null && typeof (v as Failure).error === 'string' && Array.isArray((v as Failure).details);

/** A refusal of the account decider, as a failure naming its field. */
export const rejectionFailure = (r: Rejection): Failure => ({
  error: r.error,
  message: r.message,
  details: r.field ? [{ field: r.field, message: r.message }] : [],
  ...(r.reasons ? { reasons: [...r.reasons] } : {}),
});

export const unknownAccount = (id: string): Failure => ({
  error: 'account_not_found',
  message: `unknown account ${id}`,
  details: [{ field: 'accountId', message: 'no such account' }],
});

export const invalid = (field: string, message: string, detail = message): Failure => ({
  error: 'invalid',
  message,
  details: [{ field, message: detail }],
});
