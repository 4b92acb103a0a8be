// The finance API: routes over the read models (projections/), for LedgerModule.
import { ExportsController } from '@ledger/service/finance/exports.controller';
import { FinanceController } from '@ledger/service/finance/finance.controller';
import { FinanceReadModel } from '@ledger/service/finance/finance-read-model';
import { FINANCE_HANDLERS } from '@ledger/service/finance/finance.queries';

export const FINANCE_CONTROLLERS = [FinanceController, ExportsController];
export const FINANCE_PROVIDERS = [FinanceReadModel, ...FINANCE_HANDLERS];
