// What the account writer takes and answers: the shared types of every way in (usage, plans,
// the clock) and of the process managers.
import { AccountCommand, AccountEvent, Rejection } from '@ledger/domain';
import { DedupeKey } from '@ledger/event-store';

/** Where a command came from, stored with every event it caused (shown as an entry's provenance). */
export type Provenance = Record<string, unknown>;

export interface LedgerItem {
  accountId: string;
  command: AccountCommand;
  dedupe?: DedupeKey;
  provenance?: Provenance;
}

export type ItemOutcome =
  | { status: 'accepted'; events: AccountEvent[] }
  | { status: 'rejected'; rejection: Rejection }
  | { status: 'duplicate' }
  | { status: 'conflict' };
