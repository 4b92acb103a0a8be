import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601, Matches, ValidateBy } from 'class-validator';

/** A date and time with its offset from UTC: without one, the instant would depend on the server's time zone. */
export const WITH_OFFSET = /T[^Z+-]*(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** Years 0100 to 9999: the strict ISO-8601 check reads years 0000-0099 as 1900-1999 and refuses them. */
export const FROM_YEAR_100 = /^([1-9][0-9]{3}|0[1-9][0-9]{2})-/;

/**
 * ISO-8601 forms the ledger cannot read as an instant (a decimal comma, week or ordinal dates, the
 * basic format without separators) are refused at the door rather than failing later (a 500).
 */
const IsReadableInstant = () =>
  ValidateBy({
    name: 'isReadableInstant',
    validator: {
      validate: (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v)),
      defaultMessage: () => '$property must be a date and time as RFC 3339 writes it (2026-01-31T12:00:00Z)',
    },
  });

/** An ISO-8601 instant with its UTC offset (Z or +hh:mm), as every way in requires (`date-time` in the OpenAPI document). */
export const IsInstant = () =>
  applyDecorators(
    ApiProperty({ type: String, format: 'date-time', pattern: FROM_YEAR_100.source }),
    IsISO8601({ strict: true, strictSeparator: true }),
    Matches(WITH_OFFSET, { message: '$property must be a date and time with its UTC offset (Z or +hh:mm)' }),
    IsReadableInstant(),
  );
