import { IsInstant } from '../kit/is-instant';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, Matches, Max, Min, ValidateNested } from 'class-validator';
import { PLAN_IDS, PlanId } from '@ledger/domain';
import { IsAccountId, IsText, MAX_LENGTH, MAX_RENDER_MS, MayBeAbsent } from '../kit/input-limits';

/** Credits of a contract: at most 15 digits before the point, 6 after. */
const MONTHLY_CREDITS = /^[0-9]{1,15}(\.[0-9]{1,6})?$/;

export class OpenAccountDto {
  @ApiProperty({ example: 'acct_1' })
  @IsAccountId()
  accountId!: string;
  @ApiProperty({ example: 'Acme Ltd', maxLength: MAX_LENGTH.name }) @IsText(MAX_LENGTH.name) name!: string;
}

export class ContractDto {
  @ApiProperty({ example: '5000', pattern: MONTHLY_CREDITS.source })
  @Matches(MONTHLY_CREDITS, {
    message: 'monthlyCredits must be a decimal string of credits (at most 15 digits before the point, 6 after)',
  })
  monthlyCredits!: string;
  @ApiProperty({ example: 200000, type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  priceCents!: number;
  @ApiProperty({ example: 40, type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  overageCentsPerCredit!: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_RENDER_MS })
  @MayBeAbsent()
  @IsInt()
  @Min(1)
  @Max(MAX_RENDER_MS)
  maxVideoLengthMs?: number;
}

export class StartPlanDto {
  @ApiProperty({ enum: PLAN_IDS }) @IsIn(PLAN_IDS) plan!: PlanId;
  @ApiPropertyOptional() @MayBeAbsent() @IsInstant() startsAt?: string;
  @ApiPropertyOptional() @MayBeAbsent() @IsBoolean() autoRenew?: boolean;
  @ApiPropertyOptional() @MayBeAbsent() @IsBoolean() allowOverage?: boolean;
  @ApiPropertyOptional({ type: ContractDto }) @MayBeAbsent() @ValidateNested() @Type(() => ContractDto) contract?: ContractDto;
}

export class PlanSettingsDto {
  @ApiPropertyOptional() @MayBeAbsent() @IsBoolean() autoRenew?: boolean;
  @ApiPropertyOptional() @MayBeAbsent() @IsBoolean() allowOverage?: boolean;
}
