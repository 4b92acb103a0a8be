// Account events <-> JSON for the store. Amounts are bigint in memory and decimal strings of
// millionths (credits) or cents (money) in JSON, so no store or driver ever sees a float.
import { AccountEvent, AccountEventType, ACCOUNT_EVENT_TYPES } from './events';

/** Fields that hold amounts, at any depth of an event's data. */
const AMOUNT_FIELDS = new Set([
  'credits',
  'overage',
  'uncovered',
  'quantity',
  'unitPriceCents',
  'amountCents',
  'totalCents',
  'monthlyCredits',
  'priceCents',
  'overageCentsPerCredit',
]);

export const encodeAccountEventData = (e: AccountEvent): Record<string, unknown> => jsonCopy(e.data, '') as Record<string, unknown>;

/**
 * JSON.parse(JSON.stringify(value, bigint -> decimal string)) in one pass, without the text:
 * the same result (toJSON, boxed primitives, non-finite numbers -> null, undefined and functions
 * dropped from objects and null in arrays), at a fraction of the cost on the append path.
 */
function jsonCopy(value: unknown, key: string): unknown {
  let v = value;
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
    v = (v as { toJSON(k: string): unknown }).toJSON(key);
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : null;
    case 'bigint':
      return v.toString();
    case 'object': {
      if (v === null) return null;
      if (v instanceof Number) return jsonCopy(Number(v), key);
      if (v instanceof String) return String(v);
      if (v instanceof Boolean) return v.valueOf();
      if (Array.isArray(v)) {
        const out = new Array(v.length);
        for (let i = 0; i < v.length; i++) {
          const x = jsonCopy(v[i], String(i));
          out[i] = x === undefined ? null : x;
        }
        return out;
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const x = jsonCopy((v as Record<string, unknown>)[k], k);
        if (x === undefined) continue;
        if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
        else out[k] = x;
      }
      return out;
    }
    default:
      return undefined; // undefined, functions, symbols
  }
}

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
