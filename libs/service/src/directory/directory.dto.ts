// The account directory's query parameters (validated at the door: 400 naming the field) and the
// shapes of its answers, for the OpenAPI document.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ACCOUNT_ID, IsAccountId, IsText, MAX_LENGTH } from '../kit/input-limits';

export const DIRECTORY_DEFAULT_PAGE = 50;
export const DIRECTORY_MAX_PAGE = 500;

/** `q=` (empty) is no search at all, as a form sends it. */
const emptyIsNone = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

export class AccountsQuery {
  @ApiPropertyOptional({
    description:
      'search: accounts whose id or name contains this text, in any case (a substring, not only a prefix; letters compared as the database lower-cases them). Empty: every account.',
    maxLength: MAX_LENGTH.name,
    minLength: 0,
  })
  @Transform(emptyIsNone)
  @IsOptional()
  @IsText(MAX_LENGTH.name)
  q?: string;

  @ApiPropertyOptional({ description: 'only this account (empty: every account)', minLength: 0, pattern: `^$|${ACCOUNT_ID.source}` })
  @Transform(emptyIsNone)
  @IsOptional()
  @IsAccountId()
  accountId?: string;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: DIRECTORY_MAX_PAGE, default: DIRECTORY_DEFAULT_PAGE })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(DIRECTORY_MAX_PAGE)
  limit?: number;
}

export class WalletFiguresDto {
  @ApiProperty({ description: 'credits spendable now less what is held, never below 0', example: '97.5' }) available!: string;
  @ApiProperty({ description: 'credits reserved by open holds', example: '2' }) held!: string;
  @ApiProperty({ description: 'overage of the current period, not invoiced yet', example: '0' }) overage!: string;
  @ApiProperty({ description: 'usage no credit covered, all time', example: '0' }) uncovered!: string;
  @ApiProperty({ description: 'new usage is refused until credits arrive' }) exhausted!: boolean;
}

export class WalletsFiguresDto {
  @ApiProperty({ type: WalletFiguresDto }) api!: WalletFiguresDto;
  @ApiProperty({ type: WalletFiguresDto }) live_avatar!: WalletFiguresDto;
}

export class DirectoryPlansDto {
  @ApiProperty({ type: String, nullable: true, example: 'api_pro', description: 'the plan of the period running now' }) api!: string | null;
  @ApiProperty({ type: String, nullable: true, example: null }) live_avatar!: string | null;
}

export class DirectoryAccountDto {
  @ApiProperty() accountId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'when the account was opened' }) openedAt!: string;
  @ApiProperty({ type: DirectoryPlansDto }) plans!: DirectoryPlansDto;
  @ApiProperty({ type: WalletsFiguresDto }) wallets!: WalletsFiguresDto;
}

export class AccountsPageDto {
  @ApiProperty({ description: 'the instant the figures are as of (the ledger clock when asked)' }) asOf!: string;
  @ApiProperty({ type: [DirectoryAccountDto], description: 'in account id order (byte order)' }) items!: DirectoryAccountDto[];
  @ApiProperty({ type: String, nullable: true, description: 'pass as cursor for the next page; null on the last page' })
  nextCursor!: string | null;
}

export class PeriodDto {
  @ApiProperty({ example: 'api-p2' }) id!: string;
  @ApiProperty() startsAt!: string;
  @ApiProperty({ description: 'when it ends unless renewed or cancelled first' }) endsAt!: string;
}

export class WalletPlanDto {
  @ApiProperty({ example: 'api_scale' }) plan!: string;
  @ApiProperty() autoRenew!: boolean;
  @ApiProperty() allowOverage!: boolean;
  @ApiProperty({ description: 'the catalog version the period is priced with' }) catalogVersion!: string;
  @ApiProperty({ example: '660' }) monthlyCredits!: string;
  @ApiProperty({ type: PeriodDto, description: 'the period running now' }) period!: PeriodDto;
}

export class WalletPlansDto {
  @ApiProperty({ type: WalletPlanDto, nullable: true }) api!: WalletPlanDto | null;
  @ApiProperty({ type: WalletPlanDto, nullable: true }) live_avatar!: WalletPlanDto | null;
}

export class AccountDto {
  @ApiProperty() accountId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() openedAt!: string;
  @ApiProperty({ description: 'the instant the figures are as of (the ledger clock when asked)' }) asOf!: string;
  @ApiProperty({ type: WalletPlansDto, description: 'per wallet: the plan running now with its settings and period, or null' })
  plans!: WalletPlansDto;
  @ApiProperty({ type: WalletsFiguresDto }) wallets!: WalletsFiguresDto;
}
