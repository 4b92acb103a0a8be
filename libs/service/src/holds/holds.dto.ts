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

/** A hold as the hold routes answer it (hold.commands.ts holdView). */
export class HoldDto {
  @ApiProperty({ example: 'h1.acct_1', description: 'h<n>.<accountId>' }) holdId!: string;
  @ApiProperty() accountId!: string;
  @ApiProperty({ enum: ['api', 'live_avatar'] }) wallet!: string;
  @ApiProperty() holdKey!: string;
  @ApiProperty({ example: '2', description: 'credits held (a decimal string)' }) credits!: string;
  @ApiProperty({ enum: HOLD_STATUSES }) status!: HoldStatus;
  @ApiProperty({ format: 'date-time' }) placedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'when it was captured, released or expired' }) endedAt?: string;
  @ApiPropertyOptional({
    description: 'the usage event that captured it',
    type: 'object',
    properties: { source: { type: 'string' }, id: { type: 'string' } },
  })
  usage?: { source: string; id: string };
}

/** 422 of POST /v1/holds: the reasons of POST /v1/authorizations. */
export class HoldRefusedDto {
  @ApiProperty({ enum: ['hold_refused'] }) error!: 'hold_refused';
  @ApiProperty() message!: string;
  @ApiProperty({ type: 'array', items: {} }) details!: unknown[];
  @ApiProperty({ example: ['insufficient_credits'], type: [String] }) reasons!: string[];
}
