// The CloudEvents envelope of events.md and the data of each type, validated with
// class-validator the same way on every way in (HTTP batch, NDJSON file, Kafka record).
// Every text is printable and bounded (kit/input-limits.ts); durations are bounded below.
import { Equals, IsBoolean, IsIn, IsInt, IsObject, IsOptional, Max, Min } from 'class-validator';
import { RESOLUTIONS } from '@ledger/domain';
import { IsInstant } from '../kit/is-instant';
import { IsAccountId, IsText, MAX_LENGTH, MAX_RENDER_MS } from '../kit/input-limits';

export const USAGE_TYPES = ['render.completed', 'render.failed', 'streaming.session.ended'] as const;
export type UsageType = (typeof USAGE_TYPES)[number];
export const PRODUCTS = ['avatar_video', 'video_translation', 'proofreading'] as const;
export const ENGINES = ['unlimited', 'avatar_iv'] as const;
export const INTEGRATIONS = ['api', 'live_avatar_full', 'live_avatar_custom'] as const;

export class UsageEnvelopeDto {
  @Equals('1.0') specversion!: string;
  @IsText(MAX_LENGTH.id) id!: string;
  @IsText(MAX_LENGTH.source) source!: string;
  @IsIn(USAGE_TYPES) type!: UsageType;
  @IsInstant() time!: string;
  /** The account id: what POST /v1/accounts accepts. */
  @IsAccountId() subject!: string;
  @IsOptional() @Equals('application/json') datacontenttype?: string;
  @IsObject() data!: Record<string, unknown>;
}

export class RenderCompletedDto {
  @IsText(MAX_LENGTH.id) jobId!: string;
  @IsIn(PRODUCTS) product!: (typeof PRODUCTS)[number];
  /** Required for avatar_video, refused for the other products (checked in usage-event.ts). */
  @IsOptional() @IsIn(ENGINES) engine?: (typeof ENGINES)[number];
  @IsInt()
  @Min(1, { message: 'durationMs must be a positive number of milliseconds' })
  @Max(MAX_RENDER_MS, { message: `durationMs must be at most ${MAX_RENDER_MS} (24 hours)` })
  durationMs!: number;
  @IsOptional() @IsIn(RESOLUTIONS) resolution?: (typeof RESOLUTIONS)[number];
  @IsOptional() @IsBoolean() watermarked?: boolean;
}

export class RenderFailedDto {
  @IsText(MAX_LENGTH.id) jobId!: string;
  @IsIn(PRODUCTS) product!: (typeof PRODUCTS)[number];
  @IsOptional() @IsText(MAX_LENGTH.reason, 0) reason?: string;
}

export class StreamingSessionEndedDto {
  @IsText(MAX_LENGTH.id) sessionId!: string;
  @IsIn(INTEGRATIONS) integration!: (typeof INTEGRATIONS)[number];
  @IsInstant() startedAt!: string;
  @IsInstant() endedAt!: string;
}
