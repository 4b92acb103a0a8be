// The finance API: routes over the read models (projections/), for LedgerModule.
import { ExportsController } from './exports.controller';
import { FinanceController } from './finance.controller';
import { FinanceReadModel } from './finance-read-model';
import { FINANCE_HANDLERS } from './finance.queries';

export const FINANCE_CONTROLLERS = [FinanceController, ExportsController];
export const FINANCE_PROVIDERS = [FinanceReadModel, ...FINANCE_HANDLERS];
