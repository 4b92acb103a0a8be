// Instants are ISO-8601 UTC strings with milliseconds ("2026-01-01T00:00:00.000Z"). In that one
// normalised form they compare correctly as strings; arithmetic goes through epoch milliseconds.

export type Instant = string;

const DAY_MS = 86_400_000;

export function toInstant(input: string | number | Date): Instant {
  const d = new Date(input);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not an instant: ${String(input)}`);
  return d.toISOString();
}

export const ms = (i: Instant): number => Date.parse(i);
export const addMs = (i: Instant, delta: number): Instant => new Date(ms(i) + delta).toISOString();
export const addDays = (i: Instant, days: number): Instant => addMs(i, days * DAY_MS);

/** The same instant `months` calendar months later; the day is clamped (31 Jan + 1 = 28/29 Feb). */
export function addMonths(i: Instant, months: number): Instant {
  const d = new Date(i);
  const day = d.getUTCDate();
  const target = new Date(
    Date.UTC(
      d.getUTCFullYear(),
      d.getUTCMonth() + months,
      1,
      d.getUTCHours(),
      d.getUTCMinutes(),
      d.getUTCSeconds(),
      d.getUTCMilliseconds(),
    ),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.toISOString();
}

export const earliest = (a: Instant, b: Instant): Instant => (a <= b ? a : b);
export const latest = (a: Instant, b: Instant): Instant => (a >= b ? a : b);
/** Calendar month of an instant, "2026-01". */
export const monthOf = (i: Instant): string => i.slice(0, 7);
