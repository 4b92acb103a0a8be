// The deadline projection's tables (`process_*`) in the store's database and schema, beside the
// kit's checkpoints and leases (kit/tables.ts).
import { kitTables } from '../kit/tables';

export const processTables = (s: string): string[] => [
  ...kitTables(s),
  // The schedule: each account's next expiry, period end or hold expiry.
  `CREATE TABLE IF NOT EXISTS ${s}.process_deadlines (
    account_id text PRIMARY KEY,
    due_at timestamptz NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS process_deadlines_due_at ON ${s}.process_deadlines (due_at)`,
  // The compact per-account summary the schedule is computed from: lots that can still expire,
  // periods still running (libs/domain/src/process/deadlines.ts is the same fold in memory).
  `CREATE TABLE IF NOT EXISTS ${s}.process_open_lots (
    account_id text NOT NULL,
    lot_id text NOT NULL,
    expires_at timestamptz NOT NULL,
    remaining bigint NOT NULL,
    PRIMARY KEY (account_id, lot_id)
  )`,
  `CREATE TABLE IF NOT EXISTS ${s}.process_open_periods (
    account_id text NOT NULL,
    period_id text NOT NULL,
    ends_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, period_id)
  )`,
  // Holds still open: each expires at its expires_at unless captured or released first.
  `CREATE TABLE IF NOT EXISTS ${s}.process_open_holds (
    account_id text NOT NULL,
    hold_id text NOT NULL,
    wallet text NOT NULL,
    credits bigint NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (account_id, hold_id)
  )`,
];
