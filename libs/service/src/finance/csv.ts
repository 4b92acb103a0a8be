// CSV (RFC 4180): a field with a comma, quote or line break is quoted, quotes doubled. Amounts
// are exact decimal strings (credits) or integers (cents), never floating point.
//
// Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with =, +, -, @,
// tab or CR as a formula. Decided per column:
// - numbers (positions, sequence numbers, credits, cents, counts, durations) are written as they
//   are, so "-2" in the credits column stays a number a spreadsheet adds up (OWASP: keep numeric
//   cells numeric). They are numbers by type (number, bigint) or by `csvNumber`, which only takes
//   a plain decimal (`-?digits[.digits]`): anything else given to it is escaped as text;
// - everything else is text (ids, sources, names, reasons, descriptions, provenance JSON, times,
//   enums): a cell starting with one of those characters gets a leading single quote ('), then
//   the RFC 4180 quoting. A reader strips the quote to get the original value.

/** A number cell: written as it is. `text` must be a plain decimal, else it is escaped as text. */
export class CsvNumber {
  constructor(readonly text: string) {}
}
export const csvNumber = (v: string | number | bigint): CsvNumber => new CsvNumber(String(v));

const DECIMAL = /^-?\d+(\.\d+)?$/;
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof CsvNumber && DECIMAL.test(v.text)) return v.text;
  const s = v instanceof CsvNumber ? v.text : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const text = FORMULA_START.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (fields: unknown[]): string => fields.map(csvField).join(',') + '\r\n';
