import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { ROLES, Role } from '@ledger/domain';
import { IsAccountId, IsText, MAX_LENGTH, MayBeAbsent } from '../kit/input-limits';
import { IsInstant } from '../kit/is-instant';

/** The rule across the fields of a key, for the OpenAPI document: a key of role account names its account, no other key does. */
export const KEY_RULES = {
  oneOf: [
    { required: ['accountId'], properties: { role: { enum: ['account'] } } },
    { properties: { role: { enum: ROLES.filter((r) => r !== 'account') } }, not: { required: ['accountId'] } },
  ],
};

export class IssueKeyDto {
  @ApiProperty({ enum: ROLES }) @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` }) role!: Role;
  @ApiProperty({ example: 'renderer eu-west-1', maxLength: MAX_LENGTH.name }) @IsText(MAX_LENGTH.name) name!: string;
  @ApiPropertyOptional({ description: 'required for role account, refused for the others' })
  @MayBeAbsent()
  @IsAccountId()
  accountId?: string;
  @ApiPropertyOptional({ description: 'from this instant on the key is refused' }) @MayBeAbsent() @IsInstant() expiresAt?: string;
}
