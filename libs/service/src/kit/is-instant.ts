import { applyDecorators } from '@nestjs/common';
import { IsISO8601, Matches } from 'class-validator';

/** A date and time with its offset from UTC: without one, the instant would depend on the server's time zone. */
export const WITH_OFFSET = /T[^Z+-]*(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** An ISO-8601 instant with its UTC offset (Z or +hh:mm), as every way in requires. */
export const IsInstant = () =>
  applyDecorators(
    IsISO8601({ strict: true, strictSeparator: true }),
    Matches(WITH_OFFSET, { message: '$property must be a date and time with its UTC offset (Z or +hh:mm)' }),
  );
