// The answers of the public JSON API the page reads (api.md), as far as the page uses them.
// Credits are decimal strings, money integer cents, instants ISO-8601 UTC strings.

export type WalletId = 'api' | 'live_avatar' | string;

export interface Lot {
  lotId: string;
  periodId?: string;
  granted: string;
  remaining: string;
  issuedAt: string;
  expiresAt: string;
}

export interface WalletBalance {
  plan: string | null;
  periodId?: string | null;
  available: string;
  held?: string;
  overage: string;
  uncovered: string;
  exhausted: boolean;
  lots: Lot[];
}

export interface Balances {
  accountId: string;
  asOf: string;
  wallets: Record<WalletId, WalletBalance>;
}

export type EntryKind = 'grant' | 'charge' | 'expiry' | 'forfeit' | 'overage' | 'uncovered' | 'correction';

export interface Provenance {
  via?: string;
  command?: string;
  requestId?: string;
  index?: number;
  event?: { id: string; type: string; source: string };
  topic?: string;
  partition?: number;
  offset?: string;
  [more: string]: unknown;
}

export interface Entry {
  position?: string;
  recordedAt?: string;
  provenance?: Provenance;
  kind: EntryKind;
  at: string;
  wallet: WalletId;
  credits: string;
  lotId?: string;
  periodId?: string;
  expiresAt?: string;
  reason?: string;
  usage?: { source: string; id: string; kind: string; durationMs?: number; priced?: string; flags: string[]; catalogVersion?: string };
}

export interface EntriesPage {
  accountId: string;
  entries: Entry[];
  nextCursor: string | null;
}

export interface Hold {
  holdId: string;
  accountId: string;
  wallet: WalletId;
  holdKey: string;
  credits: string;
  status: 'held' | 'captured' | 'released' | 'expired';
  placedAt: string;
  expiresAt: string;
  endedAt?: string | null;
  usage?: { source: string; id: string };
}

export interface InvoiceLine {
  description: string;
  quantity: string;
  unitPriceCents: number;
  amountCents: number;
}

export interface Invoice {
  number: string;
  accountId: string;
  kind: 'plan' | 'overage';
  wallet?: WalletId;
  plan?: string;
  period: { id?: string; startsAt: string; endsAt: string };
  lines: InvoiceLine[];
  totalCents: number;
  catalogVersion: string;
  issuedAt?: string;
  supplements?: string | null;
}

export interface InvoicesPage {
  invoices: Invoice[];
  nextCursor: string | null;
}

export interface Notification {
  id: string;
  at: string;
  kind: string;
  wallet?: WalletId;
  accountId: string;
  data: Record<string, unknown>;
  recordedAt?: string;
  deliveredAt?: string | null;
  attempts?: number;
}

export interface UsageTotals {
  usageKind: string;
  records: number;
  credits: string;
  durationMs: number;
  overage: string;
  uncovered: string;
}

export interface UsageAnswer {
  groupBy: 'day' | 'month';
  usage: (UsageTotals & { accountId: string; period: string })[];
  totals: { credits: string; records: number; byKind: UsageTotals[] };
}

/** GET /v1/accounts (api.md "Accounts and reports"). */
export interface DirectoryAccount {
  accountId: string;
  name: string;
  openedAt: string;
  plans: Record<WalletId, string | null>;
  wallets: Record<WalletId, { available: string; held: string; overage: string; uncovered: string; exhausted: boolean }>;
}

export interface DirectoryPage {
  items: DirectoryAccount[];
  nextCursor: string | null;
}

/** GET /v1/accounts/{id}: the account, its plan per wallet with its settings and current period. */
export interface AccountDetail {
  accountId: string;
  name?: string;
  openedAt?: string;
  plans?: Record<
    WalletId,
    | {
        plan?: string | null;
        autoRenew?: boolean;
        allowOverage?: boolean;
        period?: { id?: string; periodId?: string; startsAt?: string; endsAt?: string } | null;
        [more: string]: unknown;
      }
    | string
    | null
  >;
  [more: string]: unknown;
}

export const FLOW_KINDS = ['granted', 'consumed', 'expired', 'forfeited', 'corrected', 'overage', 'uncovered'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

/** GET /v1/reports/credit-flows. */
export interface CreditFlow extends Record<FlowKind, string> {
  period: string;
  wallet: WalletId;
}

export interface CreditFlows {
  items: CreditFlow[];
}
