// PostgreSQL array literals ('{"a","b",NULL}') built here rather than by the driver: a batch
// sends each column as one text parameter, cast in SQL ($1::bigint[]). Building them is a tight
// loop over strings, cheaper than the drivers' generic serialisers (the rebuild's hot path).

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
