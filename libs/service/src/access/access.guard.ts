// The one place access is decided, for every route: find the route's rule (route-rules.ts), read
// the bearer key, ask the domain's `mayCall`. No key or a bad one is a 401 and counts against the
// client's address; too many failures and the address is refused for a while (429 Retry-After).
import { CanActivate, ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { Request, Response } from 'express';
import { Caller, mayCall } from '@ledger/domain';
import { ApiError } from '../kit/http-errors';
import { ACCESS_CONFIG, AccessConfig } from './access-config';
import { CalledRequest } from './caller';
import { KeyBook } from './key-book';
import { KeyUse } from './key-use';
import { PUBLIC, ROUTE_RULES } from './route-rules';
import { bearerOf } from './secrets';

/** Every caller when LEDGER_AUTH=off (experiments only; refused in production). */
export const AUTH_OFF: Caller = { keyId: 'auth-off', role: 'admin' };

const unauthenticated = () =>
  new ApiError(401, 'unauthenticated', 'send a valid API key: Authorization: Bearer <key> (unknown, revoked and expired keys are refused)');

@Injectable()
export class AccessGuard implements CanActivate {
  private readonly log = new Logger('access');

  constructor(
    @Inject(ACCESS_CONFIG) private readonly config: AccessConfig,
    private readonly keys: KeyBook,
    private readonly use: KeyUse,
    @Inject(ThrottlerStorage) private readonly counters: ThrottlerStorage,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request & CalledRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const route = `${req.method} ${(req.route as { path?: string } | undefined)?.path ?? req.path}`;
    const rule = ROUTE_RULES[route];
    if (rule === PUBLIC) return true;
    if (!rule) {
      this.log.error(`no access rule for ${route}: refused to every caller (add it to access/route-rules.ts)`);
      throw new ApiError(403, 'forbidden', 'this route has no access rule');
    }
    if (!this.config.enabled) {
      req.caller = AUTH_OFF;
      return true;
    }
    const address = req.ip ?? 'unknown';
    const caller = await this.authenticate(req.headers.authorization, address, res);
    const verdict = mayCall(rule, caller, typeof req.params?.id === 'string' ? req.params.id : undefined);
    if (!verdict.allowed)
      throw verdict.error === 'forbidden'
        ? new ApiError(403, 'forbidden', verdict.message)
        : new ApiError(404, 'account_not_found', verdict.message, [{ field: 'accountId', message: 'no such account' }]);
    req.caller = caller;
    this.use.touch(caller.keyId, new Date().toISOString());
    return true;
  }

  private async authenticate(header: string | undefined, address: string, res: Response): Promise<Caller> {
    const f = this.config.authFailures;
    const token = bearerOf(header);
    if (token === undefined) throw unauthenticated();
    const caller = await this.keys.authenticate(token);
    if (caller) return caller;
    // Counting only keys that fail: a client with a good key is never slowed by this, nor one that sent none.
    const count = await this.counters.increment(`auth-failure:${address}`, f.windowMs, f.limit, f.blockMs, 'auth-failures');
    if (count.isBlocked) {
      res.setHeader('Retry-After', String(Math.max(1, count.timeToBlockExpire)));
      throw new ApiError(429, 'rate_limited', 'too many failed authentications from this address; try again later');
    }
    throw unauthenticated();
  }
}
