// The CloudEvents envelope of events.md and the data of each type, validated with
// class-validator the same way on every way in (HTTP batch, NDJSON file, Kafka record).
// Every text is printable and bounded (kit/input-limits.ts); durations are bounded below. The
// ApiProperty decorators describe them in the OpenAPI document (producer clients are typed from it).
import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Equals, IsBoolean, IsIn, IsInt, IsObject, IsOptional, Max, Min } from 'class-validator';
import { RESOLUTIONS } from '@ledger/domain';
import { IsInstant } from '../kit/is-instant';
import { ACCOUNT_ID, IsAccountId, IsText, MAX_LENGTH, MAX_RENDER_MS } from '../kit/input-limits';

export const USAGE_TYPES = ['render.completed', 'render.failed', 'streaming.session.ended'] as const;
export type UsageType = (typeof USAGE_TYPES)[number];
export const PRODUCTS = ['avatar_video', 'video_translation', 'proofreading'] as const;
export const ENGINES = ['unlimited', 'avatar_iv'] as const;
export const INTEGRATIONS = ['api', 'live_avatar_full', 'live_avatar_custom'] as const;

export class RenderCompletedDto {
  @ApiProperty({ maxLength: MAX_LENGTH.id }) @IsText(MAX_LENGTH.id) jobId!: string;
  @ApiProperty({ enum: PRODUCTS }) @IsIn(PRODUCTS) product!: (typeof PRODUCTS)[number];
  /** Required for avatar_video, refused for the other products (checked in usage-event.ts). */
  @ApiPropertyOptional({ enum: ENGINES, description: 'required for avatar_video, refused for the other products' })
  @IsOptional()
  @IsIn(ENGINES)
  engine?: (typeof ENGINES)[number];
  @ApiProperty({ minimum: 1, maximum: MAX_RENDER_MS })
  @IsInt()
  @Min(1, { message: 'durationMs must be a positive number of milliseconds' })
  @Max(MAX_RENDER_MS, { message: `durationMs must be at most ${MAX_RENDER_MS} (24 hours)` })
  durationMs!: number;
  @ApiPropertyOptional({ enum: RESOLUTIONS }) @IsOptional() @IsIn(RESOLUTIONS) resolution?: (typeof RESOLUTIONS)[number];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() watermarked?: boolean;
}

export class RenderFailedDto {
  @ApiProperty({ maxLength: MAX_LENGTH.id }) @IsText(MAX_LENGTH.id) jobId!: string;
  @ApiProperty({ enum: PRODUCTS }) @IsIn(PRODUCTS) product!: (typeof PRODUCTS)[number];
  @ApiPropertyOptional({ maxLength: MAX_LENGTH.reason }) @IsOptional() @IsText(MAX_LENGTH.reason, 0) reason?: string;
}

export class StreamingSessionEndedDto {
  @ApiProperty({ maxLength: MAX_LENGTH.id }) @IsText(MAX_LENGTH.id) sessionId!: string;
  @ApiProperty({ enum: INTEGRATIONS }) @IsIn(INTEGRATIONS) integration!: (typeof INTEGRATIONS)[number];
  @ApiProperty({ format: 'date-time' }) @IsInstant() startedAt!: string;
  @ApiProperty({ format: 'date-time' }) @IsInstant() endedAt!: string;
}

/** One usage event (events.md), in any mode of POST /v1/events or a Kafka record. */
export class UsageEnvelopeDto {
  @ApiProperty({ enum: ['1.0'] }) @Equals('1.0') specversion!: string;
  @ApiProperty({ maxLength: MAX_LENGTH.id, description: 'with source, what identifies the event: the same pair again is a duplicate' })
  @IsText(MAX_LENGTH.id)
  id!: string;
  @ApiProperty({ maxLength: MAX_LENGTH.source }) @IsText(MAX_LENGTH.source) source!: string;
  @ApiProperty({ enum: USAGE_TYPES }) @IsIn(USAGE_TYPES) type!: UsageType;
  @ApiProperty({ format: 'date-time', description: 'when the usage ended (event time), with its UTC offset' }) @IsInstant() time!: string;
  /** The account id: what POST /v1/accounts accepts. */
  @ApiProperty({ description: 'the account id', pattern: ACCOUNT_ID.source }) @IsAccountId() subject!: string;
  @ApiPropertyOptional({ enum: ['application/json'] }) @IsOptional() @Equals('application/json') datacontenttype?: string;
  @ApiProperty({
    description: 'the data of the type',
    oneOf: [
      { $ref: getSchemaPath(RenderCompletedDto) },
      { $ref: getSchemaPath(RenderFailedDto) },
      { $ref: getSchemaPath(StreamingSessionEndedDto) },
    ],
  })
  @IsObject()
  data!: Record<string, unknown>;
}
