// The limits of every string and value that reaches the log or the logs, in one place: a text
// field is printable (no control character, no line or paragraph separator, no lone surrogate)
// and has a documented maximum length; JSON is nested at most MAX_JSON_DEPTH deep. The same
// decorators serve the usage envelope (HTTP, Kafka, file), the account and authorization DTOs and
// the path parameters (README, "Limits of input").
import { applyDecorators, PipeTransform } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches, ValidateIf } from 'class-validator';
import { ApiError } from './http-errors';

/** Maximum lengths, in UTF-16 code units (what String.length counts). */
export const MAX_LENGTH = {
  /** CloudEvents `id`, and `data.jobId` / `data.sessionId`. */
  id: 256,
  /** CloudEvents `source`. */
  source: 512,
  /** An account id (`subject`, `accountId`, path `:id`). */
  accountId: 100,
  /** An account's name. */
  name: 200,
  /** Free text a producer sends (`data.reason`). */
  reason: 1000,
  /** An invoice number in a path. */
  invoiceNumber: 200,
  /** `x-request-id`: a longer or unprintable one is replaced by a fresh UUID. */
  requestId: 128,
} as const;

const HOUR_MS = 3_600_000;
/** Longest render one event may report (`data.durationMs`), longest render estimate, longest video limit of a contract. */
export const MAX_RENDER_MS = 24 * HOUR_MS;
/** Longest streaming session one event may report (`endedAt - startedAt`), and the longest estimate. */
export const MAX_SESSION_MS = 7 * 24 * HOUR_MS;

/** Deepest nesting of one usage event (the envelope is level 1, `data` level 2). */
export const MAX_JSON_DEPTH = 32;

/** No C0/C1 control character (NUL, tab, CR, LF, ESC...), no U+2028/U+2029, no lone surrogate. */
export const PRINTABLE = /^[^\p{Cc}\p{Cs}\p{Zl}\p{Zp}]*$/u;
const PRINTABLE_RULE = 'printable text (no control characters, line separators or lone surrogates)';

/** Account ids: what POST /v1/accounts accepts, so anything else cannot name an account. */
export const ACCOUNT_ID = /^[A-Za-z0-9_.:-]{1,100}$/;
export const ACCOUNT_ID_RULE = 'must be 1-100 letters, digits, _ . : or -';

export const isPrintable = (s: string): boolean => PRINTABLE.test(s);

/**
 * PRINTABLE for the OpenAPI document: the same classes spelled as code point ranges (C0, DEL and
 * C1, U+2028/U+2029), since other tools' regular expressions know no `\\p{...}`. A lone surrogate
 * cannot be written in a pattern those tools compile: the schema's description says it instead.
 */
export const PRINTABLE_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$';

/** The OpenAPI schema of a printable string of `min`..`max` code units. */
export const textSchema = (max: number, min = 1) => ({
  type: 'string' as const,
  minLength: min,
  maxLength: max,
  pattern: PRINTABLE_PATTERN,
});

/** The OpenAPI schema of an account id. */
export const accountIdSchema = () => ({
  type: 'string' as const,
  minLength: 1,
  maxLength: MAX_LENGTH.accountId,
  pattern: ACCOUNT_ID.source,
});

/** A printable string of `min`..`max` code units (and so in the OpenAPI document). */
export const IsText = (max: number, min = 1) =>
  applyDecorators(
    ApiProperty(textSchema(max, min)),
    IsString(),
    Length(min, max, {
      message: min > 0 ? `$property must be ${min} to ${max} characters long` : `$property must be at most ${max} characters long`,
    }),
    Matches(PRINTABLE, { message: `$property must be ${PRINTABLE_RULE}` }),
  );

export const IsAccountId = () =>
  applyDecorators(ApiProperty(accountIdSchema()), IsString(), Matches(ACCOUNT_ID, { message: `$property ${ACCOUNT_ID_RULE}` }));

/**
 * A field of a body that may be left out, but is not null when given: unlike `IsOptional`, a null
 * goes to the field's rules and is refused by them (the OpenAPI document has no nullable fields).
 */
export const MayBeAbsent = () => ValidateIf((_body: object, value: unknown) => value !== undefined);

/** True when `value` nests deeper than `max` (arrays and objects count; iterative, no recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** A path parameter that must be an account id: 400 naming it otherwise (a NUL never reaches the store). */
export class AccountIdPipe implements PipeTransform<unknown, string> {
  constructor(private readonly field = 'id') {}
  transform(value: unknown): string {
    if (typeof value === 'string' && ACCOUNT_ID.test(value)) return value;
    throw new ApiError(400, 'invalid', `${this.field} ${ACCOUNT_ID_RULE}`, [{ field: this.field, message: ACCOUNT_ID_RULE }]);
  }
}

/** A printable path parameter of at most `max` characters. */
export class TextPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly field: string,
    private readonly max: number,
  ) {}
  transform(value: unknown): string {
    if (typeof value === 'string' && value.length >= 1 && value.length <= this.max && isPrintable(value)) return value;
    const message = `must be ${PRINTABLE_RULE}, 1 to ${this.max} characters long`;
    throw new ApiError(400, 'invalid', `${this.field} ${message}`, [{ field: this.field, message }]);
  }
}

/** The request id to record: the caller's when it is 1-128 visible ASCII characters, else a fresh one. */
export function requestIdOf(header: unknown, fresh: () => string): string {
  return typeof header === 'string' && /^[\x21-\x7e]{1,128}$/.test(header) ? header : fresh();
}
