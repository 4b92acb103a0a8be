import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601, Matches } from 'class-validator';

/** A date and time with its offset from UTC: without one, the instant would depend on the server's time zone. */
export const WITH_OFFSET = /T[^Z+-]*(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** An ISO-8601 instant with its UTC offset (Z or +hh:mm), as every way in requires (`date-time` in the OpenAPI document). */
export const IsInstant = () =>
  applyDecorators(
    ApiProperty({ type: String, format: 'date-time' }),
    IsISO8601({ strict: true, strictSeparator: true }),
    Matches(WITH_OFFSET, { message: '$property must be a date and time with its UTC offset (Z or +hh:mm)' }),
  );
