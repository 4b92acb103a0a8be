import { IsInstant } from '../kit/is-instant';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';
import { Authorization, formatCredits, RESOLUTIONS, Resolution, toInstant, UsageKind } from '@ledger/domain';
import { ApiError, unwrap } from '../kit/http-errors';
import { AccountIdPipe, IsAccountId, MAX_RENDER_MS, MAX_SESSION_MS } from '../kit/input-limits';
import { ENGINES, INTEGRATIONS, PRODUCTS } from '../usage/envelope.dto';
import { Authorize, GetBalance } from './reading.queries';

export class AsOfQuery {
  @ApiPropertyOptional() @IsOptional() @IsInstant() asOf?: string;
}

export class AuthorizationDto {
  @ApiProperty() @IsAccountId() accountId!: string;
  @ApiPropertyOptional({ enum: PRODUCTS })
  @ValidateIf((o) => o.integration === undefined)
  @IsIn(PRODUCTS)
  product?: (typeof PRODUCTS)[number];
  @ApiPropertyOptional({ enum: INTEGRATIONS })
  @ValidateIf((o) => o.product === undefined)
  @IsIn(INTEGRATIONS)
  integration?: (typeof INTEGRATIONS)[number];
  @ApiPropertyOptional({ enum: ENGINES }) @IsOptional() @IsIn(ENGINES) engine?: (typeof ENGINES)[number];
  @ApiPropertyOptional({ enum: RESOLUTIONS }) @IsOptional() @IsIn(RESOLUTIONS) resolution?: Resolution;
  @ApiProperty({
    maximum: MAX_SESSION_MS,
    description: `at most ${MAX_RENDER_MS} ms (24 hours) for a render, ${MAX_SESSION_MS} ms (7 days) for a session`,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_SESSION_MS, { message: `estimatedDurationMs must be at most ${MAX_SESSION_MS} (7 days)` })
  estimatedDurationMs!: number;
}

@ApiTags('reading')
@Controller('v1')
export class ReadingController {
  constructor(private readonly queries: QueryBus) {}

  @Get('accounts/:id/balances')
  async balances(@Param('id', new AccountIdPipe()) id: string, @Query() q: AsOfQuery) {
    return unwrap(await this.queries.execute(new GetBalance(id, q.asOf ? toInstant(q.asOf) : undefined)));
  }

  // Entries and invoices: finance/finance.controller.ts, from the read models (entries asOf from history).

  @Post('authorizations')
  @HttpCode(200)
  async authorize(@Body() b: AuthorizationDto) {
    if (b.product && b.integration)
      throw new ApiError(400, 'invalid', 'give product or integration, not both', [{ field: 'integration', message: 'not with product' }]);
    if (b.product === 'avatar_video' && !b.engine)
      throw new ApiError(400, 'invalid', 'engine is required for avatar_video', [
        { field: 'engine', message: 'required for avatar_video' },
      ]);
    if (b.product && b.estimatedDurationMs > MAX_RENDER_MS)
      throw new ApiError(400, 'invalid', `estimatedDurationMs must be at most ${MAX_RENDER_MS} (24 hours) for a render`, [
        { field: 'estimatedDurationMs', message: `at most ${MAX_RENDER_MS} for a render` },
      ]);
    const kind: UsageKind = b.integration
      ? `streaming.${b.integration}`
      : b.product === 'avatar_video'
        ? `avatar_video.${b.engine!}`
        : b.product!;
    const a: Authorization = unwrap(
      await this.queries.execute(
        new Authorize(b.accountId, {
          kind,
          estimatedDurationMs: b.estimatedDurationMs,
          ...(b.resolution ? { resolution: b.resolution } : {}),
        }),
      ),
    );
    return {
      allowed: a.allowed,
      reasons: a.reasons,
      estimatedCredits: formatCredits(a.estimatedCredits),
      available: formatCredits(a.available),
    };
  }
}
