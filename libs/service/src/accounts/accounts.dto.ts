import { IsInstant } from '../kit/is-instant';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Min, ValidateNested } from 'class-validator';
import { PLAN_IDS, PlanId } from '@ledger/domain';

export class OpenAccountDto {
  @ApiProperty({ example: 'acct_1' }) @IsString() @Matches(/^[A-Za-z0-9_.:-]{1,100}$/, { message: 'accountId must be 1-100 letters, digits, _ . : or -' })
  accountId!: string;
  @ApiProperty({ example: 'Acme Ltd' }) @IsString() @IsNotEmpty() name!: string;
}

export class ContractDto {
  @ApiProperty({ example: '5000' }) @Matches(/^\d+(\.\d{1,6})?$/, { message: 'monthlyCredits must be a decimal string of credits' }) monthlyCredits!: string;
  @ApiProperty({ example: 200000 }) @IsInt() @Min(0) priceCents!: number;
  @ApiProperty({ example: 40 }) @IsInt() @Min(0) overageCentsPerCredit!: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) maxVideoLengthMs?: number;
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
