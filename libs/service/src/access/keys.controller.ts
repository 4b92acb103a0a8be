// API keys (api.md "Access"): issue (the secret shown in this answer only), list, revoke; and
// the history of issues and revocations for auditors.
import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Caller, toInstant } from '@ledger/domain';
import { unwrap } from '../kit/http-errors';
import { failed, unknownAccount } from '../kit/failure';
import { CallerOf } from './caller';
import { KeyBook } from './key-book';
import { KeyUse } from './key-use';
import { IssueKeyDto } from './keys.dto';
import { AccountDirectory } from './account-directory';

@ApiTags('access')
@Controller('v1')
export class KeysController {
  constructor(
    private readonly keys: KeyBook,
    private readonly use: KeyUse,
    private readonly accounts: AccountDirectory,
  ) {}

  @Post('api-keys')
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
