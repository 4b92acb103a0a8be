// Account events <-> JSON for the store. Amounts are bigint in memory and decimal strings of
// millionths (credits) or cents (money) in JSON, so no store or driver ever sees a float.
import { AccountEvent, AccountEventType, ACCOUNT_EVENT_TYPES } from './events';

/** Fields that hold amounts, at any depth of an event's data. */
const AMOUNT_FIELDS = new Set([
  'credits', 'overage', 'uncovered', 'quantity', 'unitPriceCents', 'amountCents', 'totalCents',
  'monthlyCredits', 'priceCents', 'overageCentsPerCredit',
]);

export const encodeAccountEventData = (e: AccountEvent): Record<string, unknown> =>
  JSON.parse(JSON.stringify(e.data, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));

function revive(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => revive(v));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = revive(v, k);
    return out;
  }
  if (key && AMOUNT_FIELDS.has(key) && typeof value === 'string') return BigInt(value);
  return value;
}

const KNOWN = new Set<string>(ACCOUNT_EVENT_TYPES);
export const isAccountEventType = (type: string): type is AccountEventType => KNOWN.has(type);

export function decodeAccountEvent(type: string, data: Record<string, unknown>): AccountEvent {
  if (!isAccountEventType(type)) throw new Error(`not an account event: ${type}`);
  return { type, data: revive(data) } as AccountEvent;
}
