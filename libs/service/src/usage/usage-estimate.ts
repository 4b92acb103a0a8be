// What a caller says of work not yet run, to authorize it or hold credits for it: the account,
// the product (or streaming integration) and an estimated duration. One DTO and one reading of
// it for POST /v1/authorizations and POST /v1/holds, so both take the same input the same way.
import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min, ValidateIf } from 'class-validator';
import { AuthorizationRequest, Resolution, RESOLUTIONS, UsageKind } from '@ledger/domain';
import { Failure, invalid } from '../kit/failure';
import { IsAccountId, MAX_RENDER_MS, MAX_SESSION_MS, MayBeAbsent } from '../kit/input-limits';
import { ENGINES, INTEGRATIONS, PRODUCTS } from './envelope.dto';

export class UsageEstimateDto {
  @ApiProperty() @IsAccountId() accountId!: string;
  @ApiPropertyOptional({ enum: PRODUCTS })
  @ValidateIf((o) => o.product !== undefined || o.integration === undefined)
  @IsIn(PRODUCTS)
  product?: (typeof PRODUCTS)[number];
  @ApiPropertyOptional({ enum: INTEGRATIONS })
  @ValidateIf((o) => o.integration !== undefined || o.product === undefined)
  @IsIn(INTEGRATIONS)
  integration?: (typeof INTEGRATIONS)[number];
  @ApiPropertyOptional({ enum: ENGINES }) @MayBeAbsent() @IsIn(ENGINES) engine?: (typeof ENGINES)[number];
  @ApiPropertyOptional({ enum: RESOLUTIONS }) @MayBeAbsent() @IsIn(RESOLUTIONS) resolution?: Resolution;
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: MAX_SESSION_MS,
    description: `at most ${MAX_RENDER_MS} ms (24 hours) for a render, ${MAX_SESSION_MS} ms (7 days) for a session`,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_SESSION_MS, { message: `estimatedDurationMs must be at most ${MAX_SESSION_MS} (7 days)` })
  estimatedDurationMs!: number;
}

/** The usage kind and estimate the DTO names, or the field at fault (what class-validator cannot say alone). */
export function estimateOf(b: UsageEstimateDto): { ok: true; request: AuthorizationRequest } | { ok: false; failure: Failure } {
  if (b.product && b.integration)
    return { ok: false, failure: invalid('integration', 'give product or integration, not both', 'not with product') };
  if (b.product === 'avatar_video' && !b.engine)
    return { ok: false, failure: invalid('engine', 'engine is required for avatar_video', 'required for avatar_video') };
  if (b.product && b.estimatedDurationMs > MAX_RENDER_MS)
    return {
      ok: false,
      failure: invalid(
        'estimatedDurationMs',
        `estimatedDurationMs must be at most ${MAX_RENDER_MS} (24 hours) for a render`,
        `at most ${MAX_RENDER_MS} for a render`,
      ),
    };
  const kind: UsageKind = b.integration
    ? `streaming.${b.integration}`
    : b.product === 'avatar_video'
      ? `avatar_video.${b.engine!}`
      : b.product!;
  return { ok: true, request: { kind, estimatedDurationMs: b.estimatedDurationMs, ...(b.resolution ? { resolution: b.resolution } : {}) } };
}

/**
 * The rules across the fields of an estimate, for the OpenAPI document (beside the DTO's own): a
 * product (avatar_video with its engine) of at most 24 hours, or a streaming integration; not both.
 */
export const ESTIMATE_RULES = {
  oneOf: [
    {
      required: ['product', 'engine'],
      properties: { product: { enum: ['avatar_video'] }, estimatedDurationMs: { maximum: MAX_RENDER_MS } },
      not: { required: ['integration'] },
    },
    {
      required: ['product'],
      properties: { product: { enum: PRODUCTS.filter((p) => p !== 'avatar_video') }, estimatedDurationMs: { maximum: MAX_RENDER_MS } },
      not: { required: ['integration'] },
    },
    { required: ['integration'], not: { required: ['product'] } },
  ],
};

/** The body of a route that takes an estimate: its DTO's schema and the rules across its fields. */
export const ApiEstimateBody = (dto: new () => UsageEstimateDto) =>
  applyDecorators(ApiExtraModels(dto), ApiBody({ schema: { allOf: [{ $ref: getSchemaPath(dto) }, ESTIMATE_RULES] } }));
