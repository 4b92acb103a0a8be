// Amounts as the page shows them: credits are the API's decimal strings, added as integers of
// millionths with the domain's own conversions (never a floating-point number); money is integer
// cents. Number appears only where a chart needs a pixel position.
import { formatCredits, MicroCredits, parseCredits } from '@ledger/domain/credits/credits';

export { formatCredits, parseCredits };
export type { MicroCredits };

/** The exact sum of decimal credit strings ("12.5" + "0.25" = "12.75"). */
export const addCredits = (...xs: string[]): string => formatCredits(xs.reduce((s, x) => s + parseCredits(x), 0n));

/** Credits for a chart's pixel positions only (never shown as text). */
export const creditsToNumber = (micros: MicroCredits): number => Number(micros) / 1_000_000;

/** Integer cents as money: 1261 -> "$12.61", -5 -> "-$0.05" (string arithmetic, no float). */
export function formatCents(cents: number | string | bigint): string {
  const c = BigInt(cents);
  const abs = c < 0n ? -c : c;
  const whole = (abs / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${c < 0n ? '-' : ''}$${whole}.${(abs % 100n).toString().padStart(2, '0')}`;
}

/** A credit string with thousands separators for reading ("12345.5" -> "12,345.5"); the digits are the API's. */
export function groupCredits(text: string): string {
  const [whole, frac] = text.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** Compares two credit strings exactly (for sorting). */
export const compareCredits = (a: string, b: string): number => {
  const d = parseCredits(a) - parseCredits(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};
