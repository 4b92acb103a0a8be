// POST /v1/events: a JSON array of CloudEvents, NDJSON, or one of the CloudEvents HTTP binding's
// content modes (http-binding.ts); every event gets its own answer, in the same shape for every mode.
import { Controller, Inject, Optional, Post, Req, Res, UseGuards } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { Caller } from '@ledger/domain';
import { CallerOf } from '../access/caller';
import { KeyRateGuard } from '../access/rate-limit.guard';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiExtraModels,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { randomUUID } from 'crypto';
import { Request, Response } from 'express';
import { unwrap } from '../kit/http-errors';
import { inSpan, TRACING, Tracing, TRACING_OFF } from '../kit/tracing';
import { httpArrival } from './arrival';
import { requestIdOf } from '../kit/input-limits';
import { RenderCompletedDto, RenderFailedDto, StreamingSessionEndedDto, UsageEnvelopeDto } from './envelope.dto';
import { EventsAnsweredDto, EventsRejectedDto } from './events.dto';
import { EVENTS_CONTENT_TYPES, eventsOfRequest } from './http-binding';
import { EventResult, UsageIngest } from './usage-ingest';

const ERROR = { $ref: '#/components/schemas/Error' };

@ApiTags('usage')
@ApiExtraModels(UsageEnvelopeDto, RenderCompletedDto, RenderFailedDto, StreamingSessionEndedDto, EventsRejectedDto)
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly usage: UsageIngest,
    @Optional() @Inject(TRACING) private readonly tracing: Tracing = TRACING_OFF,
  ) {}

  @Post()
  @UseGuards(KeyRateGuard)
  @ApiConsumes(...EVENTS_CONTENT_TYPES)
  @ApiBody({
    schema: {
      oneOf: [{ type: 'array', items: { $ref: getSchemaPath(UsageEnvelopeDto) } }, { $ref: getSchemaPath(UsageEnvelopeDto) }],
    },
    description:
      'Usage events (CloudEvents 1.0, events.md): a JSON array (application/json), application/x-ndjson (one event a line), ' +
      'one event in structured mode (application/cloudevents+json), a batch (application/cloudevents-batch+json), or one event in ' +
      'binary mode (ce-specversion, ce-id, ce-source, ce-type, ce-subject, ce-time headers; content-type application/json; the data as the body).',
  })
  @ApiOkResponse({ type: EventsAnsweredDto, description: 'every event accepted or a duplicate' })
  @ApiBadRequestResponse({
    schema: { anyOf: [{ $ref: getSchemaPath(EventsRejectedDto) }, ERROR] }, // anyOf: a rejected batch is an Error too
    description: 'some events rejected (invalid_events, with every result), the others recorded; or a body that is no batch (invalid)',
  })
  @ApiConflictResponse({
    type: EventsRejectedDto,
    description: 'every rejected event a conflict (its source + id recorded with another body)',
  })
  @ApiPayloadTooLargeResponse({
    schema: ERROR,
    description: 'payload_too_large (LEDGER_MAX_BODY_BYTES) or batch_too_large (LEDGER_MAX_BATCH): nothing recorded',
  })
  @ApiUnsupportedMediaTypeResponse({ schema: ERROR, description: 'unsupported: an event format other than JSON' })
  @ApiServiceUnavailableResponse({ schema: ERROR, description: 'store_unavailable: nothing recorded; send again later' })
  @ApiResponse({ status: 429, schema: ERROR, description: 'rate_limited: see Retry-After' })
  async post(@Req() req: Request, @Res() res: Response, @CallerOf() caller?: Caller): Promise<void> {
    const raws = eventsOfRequest(req);
    // A missing, longer than 128 or unprintable x-request-id is replaced (the answer's header says by what); the
    // logging middleware has done so already (req.id), the same way.
    const requestId = typeof req.id === 'string' ? req.id : requestIdOf(req.headers['x-request-id'], randomUUID);
    res.setHeader('x-request-id', requestId);
    const arrival = httpArrival(req);
    const span = {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'POST', 'http.route': '/v1/events', 'ledger.request_id': requestId },
      parent: this.tracing.contextOf(typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined),
    };
    const answer = await inSpan(this.tracing, 'POST /v1/events', span, () =>
      this.usage.ingest(raws, (index) => ({ via: 'http', requestId, index, ...(caller ? { keyId: caller.keyId } : {}) }), arrival),
    );
    const results: EventResult[] = unwrap(answer);
    // Each rejected event is named by its place in the batch too: one that is not even JSON has no id.
    const rejected = results.flatMap((r, index) => (r.status === 'rejected' ? [{ index, ...r }] : []));
    if (rejected.length === 0) {
      res.status(200).json({ results });
      return;
    }
    const allConflicts = rejected.every((r) => r.errors?.every((e) => e.code === 'conflict'));
    res.status(allConflicts ? 409 : 400).json({
      error: allConflicts ? 'conflict' : 'invalid_events',
      message: `${rejected.length} of ${results.length} events rejected; the others were recorded`,
      details: rejected,
      results,
    });
  }
}
