// Instants as the page shows them: UTC in the text, the reader's local time on hover.

/** "2026-01-19T15:39:00.000Z" -> "2026-01-19 15:39 UTC" (seconds when there are any). */
export function utc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const s = d.toISOString();
  const seconds = s.slice(17, 23) === '00.000' ? '' : s.slice(16, 23).replace(/\.000$/, '');
  return `${s.slice(0, 10)} ${s.slice(11, 16)}${seconds} UTC`;
}

/** The same instant in the reader's time zone, for a title attribute. */
export function local(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })} (your time, ${Intl.DateTimeFormat().resolvedOptions().timeZone})`;
}

/** A UTC month "2026-01" as the instants [start, end). */
export function monthBounds(month: string): { from: string; to: string } {
  const [y, m] = month.split('-').map(Number);
  return { from: new Date(Date.UTC(y, m - 1, 1)).toISOString(), to: new Date(Date.UTC(y, m, 1)).toISOString() };
}

/** The UTC month of an instant, "2026-01". */
export const monthOf = (iso: string): string => new Date(iso).toISOString().slice(0, 7);

/** The month `n` months after `month` ("2026-01", -1 -> "2025-12"). */
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1 + n, 1)).toISOString().slice(0, 7);
}

export const isMonth = (v: string | undefined): v is string => !!v && /^\d{4}-(0[1-9]|1[0-2])$/.test(v);
