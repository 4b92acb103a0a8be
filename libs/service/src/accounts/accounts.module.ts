// Accounts: the one writer of account streams (AccountLedger: load, decide, append) and the
// account and plan routes. Every other way of writing (usage, the clock) goes through it.
import { Module } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '@ledger/event-store';
import { LedgerMetrics } from '../kit/ledger-metrics';
import { MetricsModule } from '../kit/metrics.module';
import { TRACING, Tracing } from '../kit/tracing';
import { StoreModule } from '../store/store.module';
import { ACCOUNTS_CONFIG, AccountsConfig } from './accounts-config';
import { ACCOUNT_COMMAND_HANDLERS } from './account.commands';
import { AccountLedger } from './account-ledger';
import { AccountsController } from './accounts.controller';
import { measuredAppends } from './measured-appends';

// The writer appends through measuredAppends: its appends are timed and traced where they are made.
const accountLedger = {
  provide: AccountLedger,
  inject: [EVENT_STORE, ACCOUNTS_CONFIG, LedgerMetrics, TRACING],
  useFactory: (store: EventStore, config: AccountsConfig, metrics: LedgerMetrics, tracing: Tracing) =>
    new AccountLedger(measuredAppends(store, metrics, tracing), config),
};

@Module({
  imports: [StoreModule, MetricsModule],
  controllers: [AccountsController],
  providers: [accountLedger, ...ACCOUNT_COMMAND_HANDLERS],
  exports: [AccountLedger],
})
export class AccountsModule {}
