import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { UsageKind } from '@ledger/domain';
import { ApiError, unwrap } from '../kit/http-errors';
import { Result } from '../kit/failure';
import { HoldView, ListHolds, PlaceHold, ReleaseHold } from './hold.commands';
import { HoldsQuery, PlaceHoldDto } from './holds.dto';

type HoldAnswer = Result<{ created: boolean; hold: HoldView }>;

@ApiTags('holds')
@Controller('v1')
export class HoldsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('holds')
  async place(@Body() b: PlaceHoldDto, @Res({ passthrough: true }) res: Response) {
    if (b.product && b.integration)
      throw new ApiError(400, 'invalid', 'give product or integration, not both', [{ field: 'integration', message: 'not with product' }]);
    if (b.product === 'avatar_video' && !b.engine)
      throw new ApiError(400, 'invalid', 'engine is required for avatar_video', [
        { field: 'engine', message: 'required for avatar_video' },
      ]);
    const kind: UsageKind = b.integration
      ? `streaming.${b.integration}`
      : b.product === 'avatar_video'
        ? `avatar_video.${b.engine!}`
        : b.product!;
    const { created, hold } = unwrap(
      await this.commands.execute<PlaceHold, HoldAnswer>(
        new PlaceHold(b.accountId, b.holdKey, {
          kind,
          estimatedDurationMs: b.estimatedDurationMs,
          ...(b.resolution ? { resolution: b.resolution } : {}),
          ...(b.ttlMs !== undefined ? { ttlMs: b.ttlMs } : {}),
        }),
      ),
    );
    res.status(created ? 201 : 200);
    return hold;
  }

  @Post('holds/:holdId/release')
  @HttpCode(200)
  async release(@Param('holdId') holdId: string) {
    return unwrap(await this.commands.execute<ReleaseHold, HoldAnswer>(new ReleaseHold(holdId))).hold;
  }

  @Get('accounts/:id/holds')
  async list(@Param('id') id: string, @Query() q: HoldsQuery) {
    return unwrap(await this.queries.execute(new ListHolds(id, q.status)));
  }
}
