// What can be asked of an account. `now` is the ledger's clock, passed in.
import { EnterpriseContract, PlanId, WalletId } from '../catalog/catalog';
import { Usage, UsageRef } from '../pricing/usage';
import { Instant } from '../time/instant';
import type { AuthorizationReason } from './authorize';
import type { HoldRequest } from './events';

export type AccountCommand =
  | { type: 'OpenAccount'; accountId: string; name: string; now: Instant }
  | {
      type: 'StartPlan';
      plan: PlanId;
      startsAt?: Instant;
      autoRenew?: boolean;
      allowOverage?: boolean;
      contract?: EnterpriseContract;
      now: Instant;
    }
  | { type: 'ChangePlanSettings'; wallet: WalletId; autoRenew?: boolean; allowOverage?: boolean; now: Instant }
  | { type: 'CancelPlan'; wallet: WalletId; now: Instant }
  | { type: 'ChargeUsage'; usage: Usage; now: Instant }
  | { type: 'NoteRenderFailed'; ref: UsageRef; jobId: string; at: Instant; now: Instant }
  /** Reserve the estimate's credits for the job or session `holdKey` for `request.ttlMs`. */
  | { type: 'PlaceHold'; holdKey: string; request: HoldRequest; now: Instant }
  | { type: 'ReleaseHold'; holdId: string; now: Instant }
  /** The clock reached `now`: record the expiries and period ends that are due. */
  | { type: 'Advance'; now: Instant };

/** A business refusal: typed, never an exception. `field` names the input at fault. */
export interface Rejection {
  error:
    | 'account_not_found'
    | 'account_exists'
    | 'plan_active'
    | 'no_plan'
    | 'invalid'
    | 'contract_required'
    | 'auto_renew_not_allowed'
    | 'overage_not_allowed'
    | 'conflict'
    | 'hold_refused'
    | 'hold_not_found';
  message: string;
  field?: string;
  /** For `hold_refused`: the words of an authorization. */
  reasons?: AuthorizationReason[];
}

export const reject = (error: Rejection['error'], message: string, field?: string): Rejection => ({
  error,
  message,
  ...(field ? { field } : {}),
});
