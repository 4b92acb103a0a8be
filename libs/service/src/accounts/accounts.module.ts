// Accounts: the one writer of account streams (AccountLedger: load, decide, append) and the
// account and plan routes. Every other way of writing (usage, the clock) goes through it.
import { Module } from '@nestjs/common';
import { StoreModule } from '../store/store.module';
import { ACCOUNT_COMMAND_HANDLERS } from './account.commands';
import { AccountLedger } from './account-ledger';
import { AccountsController } from './accounts.controller';

@Module({
  imports: [StoreModule],
  controllers: [AccountsController],
  providers: [AccountLedger, ...ACCOUNT_COMMAND_HANDLERS],
  exports: [AccountLedger],
})
export class AccountsModule {}
