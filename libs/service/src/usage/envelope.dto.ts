// The CloudEvents envelope of events.md and the data of each type, validated with
// class-validator the same way on every way in (HTTP batch, NDJSON file, Kafka record).
import { Equals, IsBoolean, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Max, Min } from 'class-validator';
import { RESOLUTIONS } from '@ledger/domain';
import { IsInstant } from '../kit/is-instant';

export const USAGE_TYPES = ['render.completed', 'render.failed', 'streaming.session.ended'] as const;
export type UsageType = (typeof USAGE_TYPES)[number];
export const PRODUCTS = ['avatar_video', 'video_translation', 'proofreading'] as const;
export const ENGINES = ['unlimited', 'avatar_iv'] as const;
export const INTEGRATIONS = ['api', 'live_avatar_full', 'live_avatar_custom'] as const;


export class UsageEnvelopeDto {
  @Equals('1.0') specversion!: string;
  @IsString() @IsNotEmpty() id!: string;
  @IsString() @IsNotEmpty() source!: string;
  @IsIn(USAGE_TYPES) type!: UsageType;
  @IsInstant() time!: string;
  @IsString() @IsNotEmpty() subject!: string;
  @IsOptional() @Equals('application/json') datacontenttype?: string;
  @IsObject() data!: Record<string, unknown>;
}

export class RenderCompletedDto {
  @IsString() @IsNotEmpty() jobId!: string;
  @IsIn(PRODUCTS) product!: (typeof PRODUCTS)[number];
  /** Required for avatar_video, refused for the other products (checked in usage-event.ts). */
  @IsOptional() @IsIn(ENGINES) engine?: (typeof ENGINES)[number];
  // Above the largest safe integer the domain refuses to price it (and threw for the whole batch).
  @IsInt() @Min(1, { message: 'durationMs must be a positive number of milliseconds' })
  @Max(Number.MAX_SAFE_INTEGER, { message: 'durationMs must be at most 9007199254740991' }) durationMs!: number;
  @IsOptional() @IsIn(RESOLUTIONS) resolution?: (typeof RESOLUTIONS)[number];
  @IsOptional() @IsBoolean() watermarked?: boolean;
}

export class RenderFailedDto {
  @IsString() @IsNotEmpty() jobId!: string;
  @IsIn(PRODUCTS) product!: (typeof PRODUCTS)[number];
  @IsOptional() @IsString() reason?: string;
}

export class StreamingSessionEndedDto {
  @IsString() @IsNotEmpty() sessionId!: string;
  @IsIn(INTEGRATIONS) integration!: (typeof INTEGRATIONS)[number];
  @IsInstant() startedAt!: string;
  @IsInstant() endedAt!: string;
}
