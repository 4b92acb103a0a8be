// The caller of a request, as the access guard found it: controllers take it with `@CallerOf()`
// to filter what an account key may see (accountFilterOf, mayRead in libs/domain/src/access).
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Caller } from '@ledger/domain';

export type { Caller } from '@ledger/domain';

/** The request as the guard leaves it. */
export interface CalledRequest {
  caller?: Caller;
}

export const callerOfRequest = (req: unknown): Caller | undefined => (req as CalledRequest).caller;

export const CallerOf = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller | undefined =>
  callerOfRequest(ctx.switchToHttp().getRequest()),
);
