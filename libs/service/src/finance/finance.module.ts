// The finance API over the read models: entries, invoices, usage, credit-flow reports, CSV exports.
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ProjectionsModule } from '../projections/projections.module';
import { StoreModule } from '../store/store.module';
import { ExportsController } from './exports.controller';
import { FinanceController } from './finance.controller';
import { FinanceReadModel } from './finance-read-model';
import { ReportsController } from './reports.controller';
import { FINANCE_HANDLERS } from './finance.queries';

@Module({
  imports: [StoreModule, ProjectionsModule, AccountsModule],
  controllers: [FinanceController, ExportsController, ReportsController],
  providers: [FinanceReadModel, ...FINANCE_HANDLERS],
})
export class FinanceModule {}
