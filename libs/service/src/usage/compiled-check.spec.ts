import fc from 'fast-check';
import { validateSync } from 'class-validator';
import { passesConstraints } from './compiled-check';
import { RenderCompletedDto, RenderFailedDto, StreamingSessionEndedDto, UsageEnvelopeDto } from './envelope.dto';

// Values near and across every constraint of the usage DTOs.
const anyValue = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    '',
    '1.0',
    '2.0',
    'x',
    'application/json',
    'text/plain',
    'render.completed',
    'render.failed',
    'streaming.session.ended',
    'avatar_video',
    'proofreading',
    'unlimited',
    'avatar_iv',
    '720p',
    '4k',
    '8k',
    'api',
    'live_avatar_full',
    '2026-01-01T00:00:00.000Z',
    '2026-01-01T00:00:00+02:00',
    '2026-01-01T00:00:00',
    '2026-02-30T00:00:00Z',
    '2026-01-01 00:00:00Z',
    true,
    false,
  ),
  fc.integer({ min: -5, max: 5 }),
  fc.double(),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
  fc.string(),
  fc.object({ maxDepth: 1 }),
  fc.array(fc.integer(), { maxLength: 2 }),
);

// A valid object of each DTO; the property changes or removes up to two of its fields.
const samples: Array<[string, new () => object, Record<string, unknown>]> = [
  [
    'the envelope',
    UsageEnvelopeDto,
    {
      specversion: '1.0',
      id: 'e1',
      source: 'renderer',
      type: 'render.completed',
      time: '2026-01-01T00:00:00.000Z',
      subject: 'acct_1',
      datacontenttype: 'application/json',
      data: {},
    },
  ],
  [
    'render.completed data',
    RenderCompletedDto,
    { jobId: 'job_1', product: 'avatar_video', engine: 'unlimited', durationMs: 103_000, resolution: '1080p', watermarked: false },
  ],
  ['render.failed data', RenderFailedDto, { jobId: 'job_1', product: 'proofreading', reason: 'timeout' }],
  [
    'streaming.session.ended data',
    StreamingSessionEndedDto,
    { sessionId: 's', integration: 'api', startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:01:00+01:00' },
  ],
];

const mutation = (fields: string[]) =>
  fc.array(fc.record({ field: fc.constantFrom(...fields), remove: fc.boolean(), value: anyValue }), { maxLength: 2 });

describe('the compiled check of the usage DTOs', () => {
  it.each(samples)('passes %s exactly when class-validator finds no error', (_name, cls, valid) => {
    fc.assert(
      fc.property(mutation(Object.keys(valid)), (changes) => {
        const plain: Record<string, unknown> = { ...valid };
        for (const c of changes)
          if (c.remove) delete plain[c.field];
          else plain[c.field] = c.value;
        const value = Object.assign(new cls(), plain) as Record<string, unknown>;
        expect(passesConstraints(cls, value)).toBe(validateSync(value, { forbidUnknownValues: false }).length === 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('passes a well-formed render.completed event', () => {
    const data = {
      jobId: 'job_1',
      product: 'avatar_video',
      engine: 'unlimited',
      durationMs: 103_000,
      resolution: '1080p',
      watermarked: false,
    };
    expect(passesConstraints(RenderCompletedDto, Object.assign(new RenderCompletedDto(), data) as unknown as Record<string, unknown>)).toBe(
      true,
    );
  });
});
