import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { HoldStatus } from '@ledger/domain';
import { IsText, MAX_LENGTH, MayBeAbsent } from '../kit/input-limits';
import { UsageEstimateDto } from '../usage/usage-estimate';

export const HOLD_STATUSES: readonly HoldStatus[] = ['held', 'captured', 'released', 'expired'];

/** POST /v1/holds: the estimate of what will run (usage/usage-estimate.ts, as for an authorization) and its hold's key. */
export class PlaceHoldDto extends UsageEstimateDto {
  @ApiProperty({ description: "the render's jobId or the session's sessionId" }) @IsText(MAX_LENGTH.id) holdKey!: string;
  @ApiPropertyOptional({ description: 'default LEDGER_HOLD_TTL_MS (one hour)', type: 'integer', minimum: 1, maximum: 7 * 24 * 3_600_000 })
  @MayBeAbsent()
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3_600_000)
  ttlMs?: number;
}

export class HoldsQuery {
  @ApiPropertyOptional({ enum: HOLD_STATUSES }) @IsOptional() @IsIn(HOLD_STATUSES) status?: HoldStatus;
}
