import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { KeyRateGuard } from '../access/rate-limit.guard';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { httpError, unwrap } from '../kit/http-errors';
import { AccountIdPipe } from '../kit/input-limits';
import { ApiEstimateBody, estimateOf } from '../usage/usage-estimate';
import { Result } from '../kit/failure';
import { HoldView, ListHolds, PlaceHold, ReleaseHold } from './hold.commands';
import { HoldsQuery, PlaceHoldDto } from './holds.dto';
import { ApiFailures } from '../kit/openapi-answers';

type HoldAnswer = Result<{ created: boolean; hold: HoldView }>;

@ApiTags('holds')
@Controller('v1')
export class HoldsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('holds')
  @ApiEstimateBody(PlaceHoldDto)
  @UseGuards(KeyRateGuard)
  @ApiResponse({ status: 201, description: 'placed' })
  @ApiResponse({ status: 200, description: 'placed before with the same request: the same hold' })
  @ApiFailures('account_not_found', 'conflict', 'hold_refused')
  async place(@Body() b: PlaceHoldDto, @Res({ passthrough: true }) res: Response) {
    const estimate = estimateOf(b);
    if (!estimate.ok) throw httpError(estimate.failure);
    const { created, hold } = unwrap(
      await this.commands.execute<PlaceHold, HoldAnswer>(
        new PlaceHold(b.accountId, b.holdKey, {
          ...estimate.request,
          ...(b.ttlMs !== undefined ? { ttlMs: b.ttlMs } : {}),
        }),
      ),
    );
    res.status(created ? 201 : 200);
    return hold;
  }

  @Post('holds/:holdId/release')
  @ApiResponse({ status: 200, description: 'released (or released before): the hold' })
  @ApiFailures('hold_not_found', 'conflict')
  @HttpCode(200)
  async release(@Param('holdId') holdId: string) {
    return unwrap(await this.commands.execute<ReleaseHold, HoldAnswer>(new ReleaseHold(holdId))).hold;
  }

  @Get('accounts/:id/holds')
  async list(@Param('id', new AccountIdPipe()) id: string, @Query() q: HoldsQuery) {
    return unwrap(await this.queries.execute(new ListHolds(id, q.status)));
  }
}
