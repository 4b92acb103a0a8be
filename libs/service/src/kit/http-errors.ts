// Errors as api.md wants them: { error, message, details } with a fitting 4xx.
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { Response } from 'express';
import { Rejection } from '@ledger/domain';

export class ApiError extends HttpException {
  constructor(status: number, error: string, message: string, details: unknown[] = []) {
    super({ error, message, details }, status);
  }
}

const STATUS: Record<Rejection['error'], number> = {
  account_not_found: 404, account_exists: 409, plan_active: 409, no_plan: 409, invalid: 400,
  contract_required: 400, auto_renew_not_allowed: 400, overage_not_allowed: 400,
};

export const rejectionError = (r: Rejection): ApiError =>
  new ApiError(STATUS[r.error], r.error, r.message, r.field ? [{ field: r.field, message: r.message }] : []);

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
      const details = Array.isArray(message) ? message.map((m: string) => ({ message: m })) : status === 400 ? [{ field: '$', message: String(message) }] : [];
      res.status(status).json({ error: status === 404 ? 'not_found' : status === 400 ? 'invalid' : 'error', message: Array.isArray(message) ? 'invalid request' : String(message), details });
      return;
    }
    this.log.error(err);
    res.status(HttpStatus.INTERNAL_SERVER_ERROR).json({ error: 'internal', message: 'internal error', details: [] });
  }
}
