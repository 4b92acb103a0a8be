import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min, ValidateIf } from 'class-validator';
import { HoldStatus, Resolution, RESOLUTIONS } from '@ledger/domain';
import { ENGINES, INTEGRATIONS, PRODUCTS } from '../usage/envelope.dto';

export const HOLD_STATUSES: readonly HoldStatus[] = ['held', 'captured', 'released', 'expired'];

export class PlaceHoldDto {
  @ApiProperty() @IsString() @IsNotEmpty() accountId!: string;
  @ApiProperty({ description: "the render's jobId or the session's sessionId" }) @IsString() @IsNotEmpty() holdKey!: string;
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
  @ApiProperty() @IsInt() @Min(1) @Max(7 * 24 * 3_600_000) estimatedDurationMs!: number;
  @ApiPropertyOptional({ description: 'default LEDGER_HOLD_TTL_MS (one hour)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3_600_000)
  ttlMs?: number;
}

export class HoldsQuery {
  @ApiPropertyOptional({ enum: HOLD_STATUSES }) @IsOptional() @IsIn(HOLD_STATUSES) status?: HoldStatus;
}
