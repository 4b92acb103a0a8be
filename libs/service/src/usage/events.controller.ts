// POST /v1/events: a JSON array of CloudEvents or NDJSON; every event gets its own answer.
import { Controller, Post, Req, Res, UseGuards } from '@nestjs/common';
import { Caller } from '@ledger/domain';
import { CallerOf } from '../access/caller';
import { KeyRateGuard } from '../access/rate-limit.guard';
import { ApiBody, ApiResponse, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'crypto';
import { Request, Response } from 'express';
import { ApiError, unwrap } from '../kit/http-errors';
import { requestIdOf } from '../kit/input-limits';
import { EventResult, UsageIngest } from './usage-ingest';
import { ApiFailures } from '../kit/openapi-answers';

@ApiTags('usage')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly usage: UsageIngest) {}

  @Post()
  @UseGuards(KeyRateGuard)
  @ApiResponse({ status: 200, description: 'every event recorded (or a duplicate of one recorded): one result each' })
  @ApiResponse({
    status: 400,
    description: 'invalid_events: some events rejected (details name them), the others recorded',
    schema: { $ref: '#/components/schemas/Error' },
  })
  @ApiFailures('conflict')
  @ApiBody({
    description: 'A JSON array of usage events (CloudEvents 1.0, events.md), or application/x-ndjson, one event a line.',
    schema: { type: 'array', items: { type: 'object' } },
  })
  async post(@Req() req: Request, @Res() res: Response, @CallerOf() caller?: Caller): Promise<void> {
    const raws = batchOf(req);
    // A missing, longer than 128 or unprintable x-request-id is replaced (the answer's header says by what).
    const requestId = requestIdOf(req.headers['x-request-id'], randomUUID);
    res.setHeader('x-request-id', requestId);
    const results: EventResult[] = unwrap(
      await this.usage.ingest(raws, (index) => ({ via: 'http', requestId, index, ...(caller ? { keyId: caller.keyId } : {}) })),
    );
    // Each rejected event is named by its place in the batch too: one that is not even JSON has no id.
    const rejected = results.flatMap((r, index) => (r.status === 'rejected' ? [{ index, ...r }] : []));
    if (rejected.length === 0) {
      res.status(200).json({ results });
      return;
    }
    const allConflicts = rejected.every((r: any) => r.errors?.every((e: any) => e.code === 'conflict'));
    res.status(allConflicts ? 409 : 400).json({
      error: allConflicts ? 'conflict' : 'invalid_events',
      message: `${rejected.length} of ${results.length} events rejected; the others were recorded`,
      details: rejected,
      results,
    });
  }
}

function batchOf(req: Request): unknown[] {
  const type = req.headers['content-type'] ?? '';
  if (type.includes('ndjson')) {
    const text = typeof req.body === 'string' ? req.body : '';
    return text.split('\n').filter((line) => line.trim() !== '');
  }
  if (!Array.isArray(req.body))
    throw new ApiError(400, 'invalid', 'the body must be a JSON array of events or application/x-ndjson', [
      { field: '$', message: 'expected an array' },
    ]);
  return req.body;
}
