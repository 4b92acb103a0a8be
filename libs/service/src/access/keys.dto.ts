import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ROLES, Role } from '@ledger/domain';
import { IsAccountId, IsText, MAX_LENGTH } from '../kit/input-limits';
import { IsInstant } from '../kit/is-instant';

export class IssueKeyDto {
  @ApiProperty({ enum: ROLES }) @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` }) role!: Role;
  @ApiProperty({ example: 'renderer eu-west-1', maxLength: MAX_LENGTH.name }) @IsText(MAX_LENGTH.name) name!: string;
  @ApiPropertyOptional({ description: 'required for role account, refused for the others' })
  @IsOptional()
  @IsAccountId()
  accountId?: string;
  @ApiPropertyOptional({ description: 'from this instant on the key is refused' }) @IsOptional() @IsInstant() expiresAt?: string;
}
