// GET /v1/audit/digest (auditors): the log's running digest at a position (default the head), to
// publish and compare later (README "Tamper evidence"; the definition is libs/event-store chain.ts).
// `npm run audit -- --verify-chain --expect <position>=<digest>` finds a published digest again.
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Matches, IsOptional } from 'class-validator';
import { CHAIN_ALGORITHM, EVENT_STORE, EventStore } from '@ledger/event-store';
import { failed, ok, Result } from '../kit/failure';
import { unwrap } from '../kit/http-errors';
import { ApiFailures } from '../kit/openapi-answers';

export class DigestQuery {
  @ApiPropertyOptional({ description: 'a global position (default: the head)', example: '1200', pattern: '^\\d{1,19}$' })
  @IsOptional()
  @Matches(/^\d{1,19}$/, { message: 'position must be a global position (a whole number)' })
  position?: string;
}

export class DigestDto {
  @ApiProperty({ description: 'the position of the last event the digest covers (every event at or before it)', example: '1200' })
  position!: string;
  @ApiProperty({ description: 'hex SHA-256, chained over every event of the log in order', example: 'e3b0c44298fc1c14...' })
  digest!: string;
  @ApiProperty({ description: 'the log position when asked', example: '1250' })
  head!: string;
  @ApiProperty({ example: CHAIN_ALGORITHM })
  algorithm!: string;
}

@ApiTags('audit')
@Controller('v1/audit')
export class AuditController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get('digest')
  @ApiOperation({
    summary:
      "The log's running digest through a position (default: the head): publish it, and `npm run audit -- --verify-chain --expect <position>=<digest>` finds it again unless an event at or before it was changed, removed or moved.",
  })
  @ApiOkResponse({ type: DigestDto })
  @ApiFailures('position_not_found', 'chain_broken')
  async digest(@Query() q: DigestQuery): Promise<DigestDto> {
    return unwrap(await this.digestAt(q.position === undefined ? undefined : BigInt(q.position)));
  }

  private async digestAt(position: bigint | undefined): Promise<Result<DigestDto>> {
    const head = await this.store.headPosition();
    if (position !== undefined && position > head) {
      return failed('position_not_found', `the log ends at position ${head}: no digest at ${position} yet`, [
        { field: 'position', message: 'after the head of the log' },
      ]);
    }
    const d = await this.store.logDigest(position ?? head);
    if (!d) {
      return failed(
        'chain_broken',
        `an event at or before position ${position ?? head} has no hash: run npm run audit -- --verify-chain to find it`,
      );
    }
    return ok({ position: String(d.position), digest: d.digest, head: String(head), algorithm: CHAIN_ALGORITHM });
  }
}
