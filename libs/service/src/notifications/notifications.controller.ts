// GET /v1/accounts/{id}/notifications: what the notification process manager recorded for an
// account, oldest first, with where its delivery stands. Readable whatever the sink (and the only
// way to get them when neither LEDGER_WEBHOOK_URL nor KAFKA_BROKERS is set).
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { EVENT_STORE, EventStore } from '@ledger/event-store';
import { accountStream } from '@ledger/domain';
import { unknownAccount } from '../kit/failure';
import { httpError } from '../kit/http-errors';
import { AccountIdPipe, IsText, MAX_LENGTH } from '../kit/input-limits';
import { NotificationProjection } from './notification-projection';

export class NotificationsQuery {
  @ApiPropertyOptional({
    description: 'most notifications in the answer (default 500, at most 5000)',
    type: 'integer',
    minimum: 1,
    maximum: 5000,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(5000)
  limit?: number;

  @ApiPropertyOptional({ description: 'the id of the last notification already seen: the answer starts after it' })
  @IsOptional()
  @IsText(MAX_LENGTH.id)
  after?: string;
}

@ApiTags('notifications')
@Controller('v1/accounts')
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationProjection,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Get(':id/notifications')
  async list(@Param('id', new AccountIdPipe()) id: string, @Query() q: NotificationsQuery) {
    const notifications = await this.notifications.list(id, q.limit ?? 500, q.after);
    if (
      notifications.length === 0 &&
      !q.after &&
      !(await this.notifications.knows(id)) &&
      (await this.store.readStream(accountStream(id), 1)).length === 0
    ) {
      throw httpError(unknownAccount(id));
    }
    return { accountId: id, notifications };
  }
}
