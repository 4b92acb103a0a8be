// The HTTP edge of every module: errors as api.md wants them ({ error, message, details } with a
// fitting status), and the one table that maps a failure of the business to its status code.
// Controllers call `unwrap` / `httpError`; nothing below the controllers knows HTTP.
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Response } from 'express';
import { describeError, isStoreUnavailable, stackFramesOf } from '@ledger/event-store';
import { Failure, FailureDetail, Result } from './failure';

export class ApiError extends HttpException {
  constructor(status: number, error: string, message: string, details: unknown[] = [], extra: Record<string, unknown> = {}) {
    super({ error, message, details, ...extra }, status);
  }
}

/** The status of each failure code; a code not listed is a 400. */
const STATUS: Record<string, number> = {
  account_not_found: 404,
  invoice_not_found: 404,
  not_found: 404,
  hold_not_found: 404,
  hold_refused: 422,
  account_exists: 409,
  plan_active: 409,
  no_plan: 409,
  clock_backwards: 409,
  conflict: 409,
  invalid: 400,
  contract_required: 400,
  auto_renew_not_allowed: 400,
  overage_not_allowed: 400,
  simulation_off: 403,
  unauthenticated: 401,
  forbidden: 403,
  key_not_found: 404,
  position_not_found: 404,
  chain_broken: 409,
  rate_limited: 429,
  batch_too_large: 413,
  projection_behind: 503,
  store_unavailable: 503,
};

/** The code of an error only a status names (Nest's own exceptions, the rate limiter's 429). */
const CODE_OF_STATUS: Record<number, string> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  429: 'rate_limited',
};

export const statusOf = (error: string): number => STATUS[error] ?? 400;

export const httpError = (f: Failure): ApiError =>
  new ApiError(statusOf(f.error), f.error, f.message, f.details as FailureDetail[], f.reasons ? { reasons: f.reasons } : {});

/** The value of a result, or the HTTP error its failure maps to. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  throw httpError(r.failure);
}

@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('http');
  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (err instanceof HttpException) {
      const body = err.getResponse();
      if (typeof body === 'object' && body && 'error' in body && typeof (body as any).error === 'string' && 'details' in body) {
        res.status(err.getStatus()).json(body);
        return;
      }
      const message = typeof body === 'string' ? body : (body as any).message;
      const status = err.getStatus();
      // A body that is not JSON at all (the body parser's error) names the whole body.
      const details = Array.isArray(message)
        ? message.map((m: string) => ({ message: m }))
        : status === 400
          ? [{ field: '$', message: String(message) }]
          : [];
      res.status(status).json({
        error: CODE_OF_STATUS[status] ?? 'error',
        message: Array.isArray(message) ? 'invalid request' : String(message),
        details,
      });
      return;
    }
    // The body parser's own errors (http-errors with an `expose`d 4xx status): a body above the
    // limit is refused before it is read (413), a wrong charset or encoding is a 415 or 400.
    const parser = bodyParserError(err);
    if (parser) {
      res.status(parser.status).json({
        error: parser.status === 413 ? 'payload_too_large' : parser.status === 400 ? 'invalid' : 'unsupported',
        message: parser.message,
        details: [],
      });
      return;
    }
    // The store cannot serve now (connection lost, server restarting): a 503, the caller may retry.
    if (isStoreUnavailable(err)) {
      this.log.warn(`store unavailable: ${describeError(err)}`);
      res.status(503).json({ error: 'store_unavailable', message: 'the store is unavailable; try again later', details: [] });
      return;
    }
    // Never the message: a store error's message (and its detail) quotes the request's values.
    this.log.error(`${describeError(err)}\n${stackFramesOf(err)}`);
    res.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ error: 'internal', message: 'internal error', details: [] });
  }
}

function bodyParserError(err: unknown): { status: number; message: string } | undefined {
  const e = err as { status?: unknown; expose?: unknown; type?: unknown; message?: unknown };
  if (
    !e ||
    typeof e !== 'object' ||
    e.expose !== true ||
    typeof e.type !== 'string' ||
    typeof e.status !== 'number' ||
    e.status < 400 ||
    e.status > 499
  )
    return undefined;
  return {
    status: e.status,
    message: e.status === 413 ? 'the request body is larger than LEDGER_MAX_BODY_BYTES allows' : String(e.message),
  };
}
