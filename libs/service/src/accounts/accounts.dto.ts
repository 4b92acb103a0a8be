import { IsInstant } from '../kit/is-instant';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';
import { PLAN_IDS, PlanId } from '@ledger/domain';
import { IsAccountId, IsText, MAX_LENGTH, MAX_RENDER_MS } from '../kit/input-limits';

export class OpenAccountDto {
  @ApiProperty({ example: 'acct_1' })
  @IsAccountId()
  accountId!: string;
  @ApiProperty({ example: 'Acme Ltd', maxLength: MAX_LENGTH.name }) @IsText(MAX_LENGTH.name) name!: string;
}

export class ContractDto {
  @ApiProperty({ example: '5000' })
  @Matches(/^\d{1,15}(\.\d{1,6})?$/, {
    message: 'monthlyCredits must be a decimal string of credits (at most 15 digits before the point, 6 after)',
  })
  monthlyCredits!: string;
  @ApiProperty({ example: 200000 }) @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) priceCents!: number;
  @ApiProperty({ example: 40 }) @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER) overageCentsPerCredit!: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) @Max(MAX_RENDER_MS) maxVideoLengthMs?: number;
}

export class StartPlanDto {
  @ApiProperty({ enum: PLAN_IDS }) @IsIn(PLAN_IDS) plan!: PlanId;
  @ApiPropertyOptional() @IsOptional() @IsInstant() startsAt?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() autoRenew?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() allowOverage?: boolean;
  @ApiPropertyOptional({ type: ContractDto }) @IsOptional() @ValidateNested() @Type(() => ContractDto) contract?: ContractDto;
}

export class PlanSettingsDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() autoRenew?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() allowOverage?: boolean;
}
