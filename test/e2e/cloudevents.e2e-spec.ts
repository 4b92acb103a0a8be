// POST /v1/events in the content modes of the CloudEvents HTTP binding: structured
// (application/cloudevents+json), batched (application/cloudevents-batch+json) and binary (ce-
// headers, the data as the body), beside the JSON array and NDJSON; the same per-event answers, the
// same validation and limits in every mode, seen from the balances.
import { available, charges, Envelope, Ledger, postEvents, proAccountAnHourOld, renderCompleted, startLedger, withField } from './support';

let ledger: Ledger;
beforeAll(async () => {
  ledger = await startLedger();
});
afterAll(() => ledger?.close());

const statuses = (body: any) => body.results.map((r: any) => r.status);
const fieldsOfResult = (result: any): string[] => (result.errors ?? []).map((e: any) => e.field);

const postStructured = (l: Ledger, body: string, contentType = 'application/cloudevents+json; charset=utf-8') =>
  l.http.post('/v1/events').set('content-type', contentType).send(body);

const postBatch = (l: Ledger, events: unknown[]) =>
  l.http.post('/v1/events').set('content-type', 'application/cloudevents-batch+json').send(JSON.stringify(events));

/** The headers of an event in binary mode, each attribute a ce- header, datacontenttype the content-type. */
const binaryHeaders = (e: Envelope): Record<string, string> => ({
  'ce-specversion': e.specversion,
  'ce-id': e.id,
  'ce-source': e.source,
  'ce-type': e.type,
  'ce-subject': e.subject,
  'ce-time': e.time,
  'content-type': 'application/json',
});

const postBinary = (l: Ledger, headers: Record<string, string | undefined>, body: string) => {
  const req = l.http.post('/v1/events');
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) req.set(name, value);
  return req.send(body);
};

describe('structured mode: one event, application/cloudevents+json', () => {
  it('is charged and answered as an element of a batch is', async () => {
    const at = await proAccountAnHourOld(ledger, 'acct_ce_structured');
    const e = renderCompleted({ subject: 'acct_ce_structured', time: at(10), durationMs: 103_000 }); // 2 credits
    const res = await postStructured(ledger, JSON.stringify(e));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ results: [{ id: e.id, source: e.source, status: 'accepted' }] });
    expect(await available(ledger, 'acct_ce_structured')).toBe('98');
    // the same event again, as an element of a JSON array: the same event, a duplicate
    expect(statuses((await postEvents(ledger, [e])).body)).toEqual(['duplicate']);
    expect(await available(ledger, 'acct_ce_structured')).toBe('98');
  });

  it('a body that is not JSON, or not one event, is that event rejected (400 naming $)', async () => {
    for (const body of ['{"specversion": "1.0",', '[]', '']) {
      const res = await postStructured(ledger, body);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_events');
      expect(statuses(res.body)).toEqual(['rejected']);
      expect(fieldsOfResult(res.body.results[0])).toEqual(['$']);
    }
  });

  it('validates the envelope as any other way in', async () => {
    const at = await proAccountAnHourOld(ledger, 'acct_ce_structured_bad');
    const e = withField(renderCompleted({ subject: 'acct_ce_structured_bad', time: at(10), durationMs: 1_000 }), 'data.durationMs', 0);
    const res = await postStructured(ledger, JSON.stringify(e));
    expect(res.status).toBe(400);
    expect(res.body.results).toEqual([
      { id: e.id, source: e.source, status: 'rejected', errors: [expect.objectContaining({ field: 'data.durationMs' })] },
    ]);
    expect(await available(ledger, 'acct_ce_structured_bad')).toBe('100');
  });

  it('datacontenttype application/json; charset=utf-8 is application/json', async () => {
    const at = await proAccountAnHourOld(ledger, 'acct_ce_charset');
    const e = renderCompleted({ subject: 'acct_ce_charset', time: at(10), durationMs: 1_000 }); // 0.5
    const res = await postStructured(ledger, JSON.stringify({ ...e, datacontenttype: 'application/json; charset=utf-8' }));
    expect(statuses(res.body)).toEqual(['accepted']);
    expect(statuses((await postEvents(ledger, [e])).body)).toEqual(['duplicate']);
    expect(await available(ledger, 'acct_ce_charset')).toBe('99.5');
  });

  it('another event format than JSON is a 415', async () => {
    const res = await postStructured(ledger, '<event/>', 'application/cloudevents+xml');
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ error: 'unsupported', details: [{ field: 'content-type' }] });
  });
});

describe('batched mode: application/cloudevents-batch+json', () => {
  it('answers every event; a bad one rejects no other', async () => {
    const at = await proAccountAnHourOld(ledger, 'acct_ce_batch');
    const a = renderCompleted({ subject: 'acct_ce_batch', time: at(10), durationMs: 103_000 }); // 2
    const bad = withField(renderCompleted({ subject: 'acct_ce_batch', time: at(11), durationMs: 1_000 }), 'data.product', 'hologram');
    const b = renderCompleted({ subject: 'acct_ce_batch', time: at(12), durationMs: 30_000 }); // 1
    const res = await postBatch(ledger, [a, bad, b]);
    expect(res.status).toBe(400);
    expect(statuses(res.body)).toEqual(['accepted', 'rejected', 'accepted']);
    expect(res.body.details).toEqual([expect.objectContaining({ index: 1, id: bad.id })]);
    expect(fieldsOfResult(res.body.results[1])).toContain('data.product');
    expect(await available(ledger, 'acct_ce_batch')).toBe('97');
    expect((await charges(ledger, 'acct_ce_batch')).map((c) => c.usage!.id)).toEqual([a.id, b.id]);
  });

  it('a body that is not a JSON array is a 400', async () => {
    const res = await ledger.http.post('/v1/events').set('content-type', 'application/cloudevents-batch+json').send('{"not": "an array"}');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid', details: [{ field: '$' }] });
  });

  it('is held to LEDGER_MAX_BATCH', async () => {
    const small = await startLedger({ LEDGER_MAX_BATCH: '2' });
    try {
      const e = renderCompleted({ subject: 'acct_x', time: '2026-01-01T00:00:00Z', durationMs: 1_000 });
      const res = await postBatch(small, [e, e, e]);
      expect(res.status).toBe(413);
      expect(res.body.error).toBe('batch_too_large');
    } finally {
      await small.close();
    }
  });
});

describe('binary mode: ce- headers, the data as the body', () => {
  it('is charged; the same event in structured mode is a duplicate', async () => {
    const at = await proAccountAnHourOld(ledger, 'acct_ce_binary');
    const e = renderCompleted({ subject: 'acct_ce_binary', time: at(10), durationMs: 103_000 }); // 2
    const res = await postBinary(ledger, binaryHeaders(e), JSON.stringify(e.data));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ results: [{ id: e.id, source: e.source, status: 'accepted' }] });
    expect(statuses((await postStructured(ledger, JSON.stringify(e))).body)).toEqual(['duplicate']);
    expect(await available(ledger, 'acct_ce_binary')).toBe('98');
    const [charge] = await charges(ledger, 'acct_ce_binary');
    expect(charge.usage).toMatchObject({ source: e.source, id: e.id });
    expect(charge.provenance).toMatchObject({ via: 'http', index: 0 });
  });

  it('decodes percent-encoded header values (the HTTP binding) and keeps extension attributes', async () => {
    const at = await proAccountAnHourOld(ledger, 'acct_ce_pct');
    const e = renderCompleted({ subject: 'acct_ce_pct', time: at(10), durationMs: 1_000, source: 'renderer/eu west 100%' });
    const headers = { ...binaryHeaders(e), 'ce-source': 'renderer/eu%20west%20100%25', 'ce-traceparent': '00-abc-01' };
    const res = await postBinary(ledger, headers, JSON.stringify(e.data));
    expect(res.body.results).toEqual([{ id: e.id, source: 'renderer/eu west 100%', status: 'accepted' }]);
    // the structured form of the same event carries the extension too
    expect(statuses((await postStructured(ledger, JSON.stringify({ ...e, traceparent: '00-abc-01' }))).body)).toEqual(['duplicate']);
    expect(await available(ledger, 'acct_ce_pct')).toBe('99.5');
  });

  // Each case: how the good request is spoiled, and the field the answer must name.
  const cases: [string, (h: Record<string, string | undefined>) => Record<string, string | undefined>, string | null, string][] = [
    ['no ce-id header', (h) => ({ ...h, 'ce-id': undefined }), null, 'ce-id'],
    ['no ce-source header', (h) => ({ ...h, 'ce-source': undefined }), null, 'ce-source'],
    ['no ce-type header', (h) => ({ ...h, 'ce-type': undefined }), null, 'ce-type'],
    ['no ce-specversion header', (h) => ({ ...h, 'ce-specversion': undefined }), null, 'ce-specversion'],
    ['no ce-subject header (events.md needs the account)', (h) => ({ ...h, 'ce-subject': undefined }), null, 'subject'],
    ['a ce-id longer than 256 characters (the limit of id)', (h) => ({ ...h, 'ce-id': 'i'.repeat(257) }), null, 'id'],
    ['a ce-source longer than 512 characters', (h) => ({ ...h, 'ce-source': 's'.repeat(513) }), null, 'source'],
    ['a ce-subject that is no account id', (h) => ({ ...h, 'ce-subject': 'acct one' }), null, 'subject'],
    ['a broken percent-encoding', (h) => ({ ...h, 'ce-source': 'renderer/100%' }), null, 'ce-source'],
    ['a ce-time that is no instant', (h) => ({ ...h, 'ce-time': 'yesterday' }), null, 'time'],
    ['a ce-specversion of 0.3', (h) => ({ ...h, 'ce-specversion': '0.3' }), null, 'specversion'],
    ['data of another content type', (h) => ({ ...h, 'content-type': 'text/plain' }), null, 'content-type'],
    ['a body that is not JSON', (h) => h, '{"jobId":', 'data'],
    ['an empty body', (h) => h, '', 'data'],
    ['a ce-data header', (h) => ({ ...h, 'ce-data': '{}' }), null, 'ce-data'],
    [
      'data that breaks its rules',
      (h) => h,
      JSON.stringify({ jobId: 'j', product: 'avatar_video', engine: 'unlimited', durationMs: -1 }),
      'data.durationMs',
    ],
  ];

  it.each(cases)('%s: 400 naming the field, nothing charged', async (_name, spoil, body, field) => {
    const account = `acct_ce_bad_${cases.findIndex((c) => c[0] === _name)}`;
    const at = await proAccountAnHourOld(ledger, account);
    const e = renderCompleted({ subject: account, time: at(10), durationMs: 1_000 });
    const res = await postBinary(ledger, spoil(binaryHeaders(e)), body ?? JSON.stringify(e.data));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_events');
    expect(statuses(res.body)).toEqual(['rejected']);
    expect(fieldsOfResult(res.body.results[0])).toContain(field);
    expect(await available(ledger, account)).toBe('100');
  });
});

describe('LEDGER_MAX_BODY_BYTES in every mode', () => {
  it('answers 413 payload_too_large for a structured, a batched and a binary body above it', async () => {
    const small = await startLedger({ LEDGER_MAX_BODY_BYTES: '2048' });
    try {
      const e = renderCompleted({ subject: 'acct_x', time: '2026-01-01T00:00:00Z', durationMs: 1_000, jobId: 'j'.repeat(3000) });
      for (const res of [
        await postStructured(small, JSON.stringify(e)),
        await postBatch(small, [e]),
        await postBinary(small, binaryHeaders(e), JSON.stringify(e.data)),
      ]) {
        expect(res.status).toBe(413);
        expect(res.body).toMatchObject({ error: 'payload_too_large' });
      }
    } finally {
      await small.close();
    }
  });
});
