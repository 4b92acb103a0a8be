// What GET /v1/reports/credit-flows must say, computed from the entries of the accounts: the
// expectation of the credit-flow specs (the demo month, and random histories), and the reading of
// its CSV export as the JSON items it stands for.
import { formatCredits, parseCredits } from '@ledger/domain';
import { Ledger } from './support';

export interface Entry {
  accountId: string;
  kind: string;
  at: string;
  wallet: string;
  credits: bigint;
}

export interface CreditFlowFilter {
  accountId?: string;
  wallet?: string;
  from?: string;
  to?: string;
  groupBy: 'day' | 'month';
}

export const FLOWS = ['granted', 'consumed', 'expired', 'forfeited', 'corrected', 'overage', 'uncovered', 'net'] as const;

/** Which entries each total adds up, and with which sign (charges, expiries and forfeits are negative entries). */
const TOTALS: Record<(typeof FLOWS)[number], [string[], bigint]> = {
  granted: [['grant'], 1n],
  consumed: [['charge'], -1n],
  expired: [['expiry'], -1n],
  forfeited: [['forfeit'], -1n],
  corrected: [['correction'], 1n],
  overage: [['overage'], 1n],
  uncovered: [['uncovered'], 1n],
  net: [['grant', 'charge', 'expiry', 'forfeit', 'correction'], 1n],
};

/** Every entry of an account, page by page (`limit` per page, the route's default when not given). */
export async function entriesOf(l: Ledger, accountId: string, limit?: number): Promise<Entry[]> {
  const out: Entry[] = [];
  let cursor: string | undefined;
  do {
    const res = await l.http.get(`/v1/accounts/${accountId}/entries`).query({ ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) });
    expect(res.status).toBe(200);
    for (const e of res.body.entries) out.push({ accountId, kind: e.kind, at: e.at, wallet: e.wallet, credits: parseCredits(e.credits) });
    cursor = res.body.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** The report's items, from the entries: grouped by UTC period and wallet, summed per kind. */
export function expectedFlows(all: Entry[], f: CreditFlowFilter) {
  const groups = new Map<string, Entry[]>();
  for (const e of all) {
    if (f.accountId && e.accountId !== f.accountId) continue;
    if (f.wallet && e.wallet !== f.wallet) continue;
    if (f.from && e.at < `${f.from}T00:00:00.000Z`) continue;
    if (f.to && e.at >= `${f.to}T00:00:00.000Z`) continue;
    const period = f.groupBy === 'day' ? e.at.slice(0, 10) : e.at.slice(0, 7);
    const key = `${period} ${e.wallet}`;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  return [...groups.keys()].sort().map((key) => {
    const [period, wallet] = key.split(' ');
    const es = groups.get(key)!;
    const totals = Object.fromEntries(
      FLOWS.map((flow) => {
        const [kinds, sign] = TOTALS[flow];
        return [flow, formatCredits(sign * es.filter((e) => kinds.includes(e.kind)).reduce((s, e) => s + e.credits, 0n))];
      }),
    );
    return { period, ...(f.accountId ? { accountId: f.accountId } : {}), wallet, ...totals };
  });
}

/** The CSV export's rows, as the JSON items they stand for. */
export function csvItems(text: string, f: CreditFlowFilter) {
  const [header, ...rows] = text.trim().split('\r\n');
  expect(header).toBe(`${f.groupBy},account_id,wallet,${FLOWS.join(',')}`);
  return rows.map((line) => {
    const [period, accountId, wallet, ...values] = line.split(',');
    expect(accountId).toBe(f.accountId ?? '');
    return { period, ...(f.accountId ? { accountId } : {}), wallet, ...Object.fromEntries(FLOWS.map((k, i) => [k, values[i]])) };
  });
}
