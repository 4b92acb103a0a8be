// CSV (RFC 4180): a field with a comma, quote or line break is quoted, quotes doubled. Amounts
// are exact decimal strings (credits) or integers (cents), never floating point.
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (fields: unknown[]): string => fields.map(csvField).join(',') + '\r\n';
