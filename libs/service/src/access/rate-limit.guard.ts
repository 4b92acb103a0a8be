// The per-key rate limit of POST /v1/events and POST /v1/holds (@nestjs/throttler): counted per key
// (the access guard ran first and named the caller), 429 with Retry-After past the limit.
import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { callerOfRequest } from './caller';

@Injectable()
export class KeyRateGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    return callerOfRequest(req)?.keyId ?? `address:${String(req.ip)}`;
  }
}
