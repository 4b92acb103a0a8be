// What can be asked of an account. `now` is the ledger's clock, passed in.
import { EnterpriseContract, PlanId, WalletId } from '../catalog/catalog';
import { Usage, UsageRef } from '../pricing/usage';
import { Instant } from '../time/instant';

export type AccountCommand =
  | { type: 'OpenAccount'; accountId: string; name: string; now: Instant }
  | { type: 'StartPlan'; plan: PlanId; startsAt?: Instant; autoRenew?: boolean; allowOverage?: boolean; contract?: EnterpriseContract; now: Instant }
  | { type: 'ChangePlanSettings'; wallet: WalletId; autoRenew?: boolean; allowOverage?: boolean; now: Instant }
  | { type: 'CancelPlan'; wallet: WalletId; now: Instant }
  | { type: 'ChargeUsage'; usage: Usage; now: Instant }
  | { type: 'NoteRenderFailed'; ref: UsageRef; jobId: string; at: Instant; now: Instant }
  /** The clock reached `now`: record the expiries and period ends that are due. */
  | { type: 'Advance'; now: Instant };

/** A business refusal: typed, never an exception. `field` names the input at fault. */
export interface Rejection {
  error: 'account_not_found' | 'account_exists' | 'plan_active' | 'no_plan' | 'invalid' | 'contract_required'
    | 'auto_renew_not_allowed' | 'overage_not_allowed';
  message: string;
  field?: string;
}

export const reject = (error: Rejection['error'], message: string, field?: string): Rejection => ({ error, message, ...(field ? { field } : {}) });
