// PostgreSQL array literals ('{"a","b",NULL}') built here rather than by the driver: a batch
// sends each column as one text parameter, cast in SQL ($1::bigint[]). Building them is a tight
// loop over strings, cheaper than the drivers' generic serialisers (the rebuild's hot path).
// And COPY's text format, for the bulk table (entries).

const NEEDS_ESCAPE = /["\\]/;

/** A column of text (or anything already formatted as PostgreSQL input text), nulls allowed. */
export function arrayLiteral(values: readonly (string | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    parts[i] = v === null ? 'NULL' : NEEDS_ESCAPE.test(v) ? `"${v.replace(/[\\"]/g, '\\$&')}"` : `"${v}"`;
  }
  return `{${parts.join(',')}}`;
}

/** A column of integers (bigint or number): no quoting needed. */
export function integerArrayLiteral(values: readonly (bigint | number)[]): string {
  return `{${values.join(',')}}`;
}

/** A column of booleans, nulls allowed. */
export function booleanArrayLiteral(values: readonly (boolean | null)[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) parts[i] = values[i] === null ? 'NULL' : values[i] ? 't' : 'f';
  return `{${parts.join(',')}}`;
}

/** A value in COPY's text format: null as \N; backslash, tab, newline and carriage return escaped. */
export function copyValue(v: string | number | bigint | null): string {
  if (v === null) return '\\N';
  const s = String(v);
  return NEEDS_COPY_ESCAPE.test(s) ? s.replace(NEEDS_COPY_ESCAPE_ALL, (c) => COPY_ESCAPES[c]) : s;
}
const NEEDS_COPY_ESCAPE = /[\\\t\n\r]/;
const NEEDS_COPY_ESCAPE_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Rows given column by column, as COPY's text format. */
export function copyText(columns: readonly (readonly (string | number | bigint | null)[])[]): string {
  const rows = columns.length ? columns[0].length : 0;
  const lines = new Array<string>(rows);
  for (let i = 0; i < rows; i++) {
    let line = copyValue(columns[0][i]);
    for (let c = 1; c < columns.length; c++) line += '\t' + copyValue(columns[c][i]);
    lines[i] = line;
  }
  return rows ? lines.join('\n') + '\n' : '';
}
