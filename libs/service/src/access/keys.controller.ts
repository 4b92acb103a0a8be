// API keys (api.md "Access"): issue (the secret shown in this answer only), list, revoke; and
// the history of issues and revocations for auditors.
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Caller, toInstant } from '@ledger/domain';
import { unwrap } from '../kit/http-errors';
import { failed, unknownAccount } from '../kit/failure';
import { CallerOf } from './caller';
import { KeyBook } from './key-book';
import { KeyUse } from './key-use';
import { IssueKeyDto, KEY_RULES } from './keys.dto';
import { AccountDirectory } from './account-directory';
import { ApiFailures } from '../kit/openapi-answers';

@ApiTags('access')
@Controller('v1')
export class KeysController {
  constructor(
    private readonly keys: KeyBook,
    private readonly use: KeyUse,
    private readonly accounts: AccountDirectory,
  ) {}

  @Post('api-keys')
  @ApiExtraModels(IssueKeyDto)
  @ApiBody({ schema: { allOf: [{ $ref: getSchemaPath(IssueKeyDto) }, KEY_RULES] } })
  @ApiResponse({ status: 201, description: 'issued: the answer holds the secret, shown this once' })
  @ApiFailures('account_not_found')
  async issue(@Body() b: IssueKeyDto, @CallerOf() caller: Caller | undefined) {
    // A key bound to an account that does not exist is a typo, not a key for later.
    if (b.role === 'account' && b.accountId && !(await this.accounts.exists(b.accountId)))
      unwrap({ ok: false, failure: unknownAccount(b.accountId) });
    const issued = unwrap(
      await this.keys.issue(
        {
          role: b.role,
          name: b.name,
          ...(b.accountId ? { accountId: b.accountId } : {}),
          ...(b.expiresAt ? { expiresAt: toInstant(b.expiresAt) } : {}),
        },
        caller?.keyId ?? 'unknown',
      ),
    );
    return { ...issued.key, key: issued.secret };
  }

  @Get('api-keys')
  async list() {
    await this.use.refresh();
    return { items: await this.keys.list((id) => this.use.lastUsedAt(id)) };
  }

  @Post('api-keys/:id/revoke')
  @ApiResponse({ status: 200, description: 'revoked: the key' })
  @ApiFailures('key_not_found')
  @HttpCode(200)
  async revoke(@Param('id') id: string, @CallerOf() caller: Caller | undefined) {
    if (!/^key_[A-Za-z0-9_-]{1,64}$/.test(id))
      unwrap(failed('key_not_found', `unknown key ${id.slice(0, 80)}`, [{ field: 'id', message: 'no such key' }]));
    return unwrap(await this.keys.revoke(id, caller?.keyId ?? 'unknown'));
  }

  @Get('audit/api-keys')
  async history() {
    return { items: await this.keys.history() };
  }
}
