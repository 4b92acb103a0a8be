import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { KeyRateGuard } from '../access/rate-limit.guard';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { httpError, unwrap } from '../kit/http-errors';
import { AccountIdPipe } from '../kit/input-limits';
import { ApiEstimateBody, estimateOf } from '../usage/usage-estimate';
import { Result } from '../kit/failure';
import { HoldView, ListHolds, PlaceHold, ReleaseHold } from './hold.commands';
import { HoldDto, HoldRefusedDto, HoldsQuery, PlaceHoldDto } from './holds.dto';
import { ApiFailures } from '../kit/openapi-answers';

const ERROR = { $ref: '#/components/schemas/Error' };

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
  @ApiCreatedResponse({ type: HoldDto, description: "held: the estimate's price is reserved" })
  @ApiOkResponse({ type: HoldDto, description: 'the same hold: the same request was sent before' })
  @ApiResponse({ status: 422, type: HoldRefusedDto, description: 'hold_refused: it may not run' })
  @ApiConflictResponse({ schema: ERROR, description: 'conflict: this holdKey was placed with another request' })
  @ApiFailures('account_not_found')
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
  @ApiFailures('hold_not_found')
  @HttpCode(200)
  @ApiOkResponse({ type: HoldDto, description: 'released (also when it was released before)' })
  @ApiConflictResponse({ schema: ERROR, description: 'conflict: the hold was captured or expired' })
  async release(@Param('holdId') holdId: string) {
    return unwrap(await this.commands.execute<ReleaseHold, HoldAnswer>(new ReleaseHold(holdId))).hold;
  }

  @Get('accounts/:id/holds')
  async list(@Param('id', new AccountIdPipe()) id: string, @Query() q: HoldsQuery) {
    return unwrap(await this.queries.execute(new ListHolds(id, q.status)));
  }
}
