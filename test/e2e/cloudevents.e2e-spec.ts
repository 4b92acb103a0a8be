// POST /v1/events in the content modes of the CloudEvents HTTP binding: structured
// (application/cloudevents+json), batched (application/cloudevents-batch+json) and binary (ce-
// headers, the data as the body), beside the JSON array and NDJSON; the same per-event answers, the
// same validation and limits in every mode, seen from the balances. Then the official SDK
// (cloudevents 10.0.0) as the producer, in its three modes, over a listening socket.
import { AddressInfo } from 'net';
import { CloudEvent, CONSTANTS, emitterFor, HTTP, httpTransport, Message } from 'cloudevents';
import { asKey, bearer } from '../support/access';
import {
  available,
  balances,
  charges,
  Envelope,
  Ledger,
  postEvents,
  proAccountAnHourOld,
  renderCompleted,
  startLedger,
  streamingEnded,
  withField,
} from './support';

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

describe('the official SDK (cloudevents 10.0.0) as the producer', () => {
  let producerKey: string;
  beforeAll(async () => {
    producerKey = (await ledger.http.post('/v1/api-keys').send({ role: 'producer', name: 'renderer' }).expect(201)).body.key;
  });

  /** Sends a message the SDK built, its headers and body as they are, with a producer's key. */
  const send = (message: Message) =>
    asKey(ledger.app.getHttpServer(), producerKey)
      .post('/v1/events')
      .set(message.headers as Record<string, string>)
      .send(message.body as string);

  /** The SDK's event of one of ours: the same attributes and data, the SDK's defaults for the rest (no datacontenttype). */
  const sdkEvent = (e: Envelope) =>
    new CloudEvent({ specversion: '1.0', id: e.id, source: e.source, type: e.type, subject: e.subject, time: e.time, data: e.data });

  it('HTTP.structured, HTTP.binary and a batch: each event charged once, retries are duplicates, exact balances', async () => {
    const account = 'acct_ce_sdk';
    const at = await proAccountAnHourOld(ledger, account);
    const structured = sdkEvent(renderCompleted({ subject: account, time: at(10), durationMs: 103_000 })); // 2
    const binary = sdkEvent(streamingEnded({ subject: account, time: at(20), durationMs: 7.5 * 60_000 })); // 1.5
    const batch = [
      sdkEvent(renderCompleted({ subject: account, time: at(30), durationMs: 30_000 })), // 1
      sdkEvent(renderCompleted({ subject: account, time: at(31), durationMs: 60_000, product: 'video_translation' })), // 4.5
      sdkEvent(streamingEnded({ subject: account, time: at(32), durationMs: 10_000 })), // 0.1
    ];

    // structured: content-type application/cloudevents+json; charset=utf-8, the event as the body
    const structuredMessage = HTTP.structured(structured);
    expect(structuredMessage.headers['content-type']).toBe(CONSTANTS.DEFAULT_CE_CONTENT_TYPE);
    const structuredAnswer = await send(structuredMessage);
    expect(structuredAnswer.status).toBe(200);
    expect(structuredAnswer.body).toEqual({ results: [{ id: structured.id, source: structured.source, status: 'accepted' }] });

    // binary (the SDK's default mode): ce- headers, content-type application/json; charset=utf-8, the data as the body
    const binaryMessage = HTTP.binary(binary);
    expect(binaryMessage.headers).toMatchObject({
      'ce-id': binary.id,
      'ce-subject': account,
      'content-type': CONSTANTS.DEFAULT_CONTENT_TYPE,
    });
    const binaryAnswer = await send(binaryMessage);
    expect(binaryAnswer.status).toBe(200);
    expect(binaryAnswer.body).toEqual({ results: [{ id: binary.id, source: binary.source, status: 'accepted' }] });

    // batched: application/cloudevents-batch+json, the events as a JSON array (what the SDK's HTTP.toEvent reads as a batch)
    const batchMessage: Message = { headers: { 'content-type': CONSTANTS.MIME_CE_BATCH }, body: JSON.stringify(batch) };
    expect((HTTP.toEvent(batchMessage) as CloudEvent[]).map((e) => e.id)).toEqual(batch.map((e) => e.id));
    const answer = await send(batchMessage);
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((r: any) => [r.id, r.status])).toEqual(batch.map((e) => [e.id, 'accepted']));

    // a producer's retry of each message, in its mode, changes nothing
    for (const message of [structuredMessage, binaryMessage, batchMessage]) {
      const again = await send(message);
      expect(again.status).toBe(200);
      for (const r of again.body.results) expect(r.status).toBe('duplicate');
    }

    const wallet = (await balances(ledger, account)).wallets.api;
    expect(wallet.available).toBe('90.9'); // 100 - 2 - 1.5 - 1 - 4.5 - 0.1
    expect(wallet.overage).toBe('0');
    expect((await charges(ledger, account)).map((c) => [c.usage!.id, c.credits])).toEqual([
      [structured.id, '-2'],
      [binary.id, '-1.5'],
      [batch[0].id, '-1'],
      [batch[1].id, '-4.5'],
      [batch[2].id, '-0.1'],
    ]);
  });

  it('a bad event from the SDK is named in the answer, its neighbours in the batch charged', async () => {
    const account = 'acct_ce_sdk_bad';
    const at = await proAccountAnHourOld(ledger, account);
    const good = sdkEvent(renderCompleted({ subject: account, time: at(10), durationMs: 30_000 })); // 1
    const bad = good.cloneWith({ id: 'sdk-bad', data: { ...(good.data as object), durationMs: 0 } });
    const res = await send({ headers: { 'content-type': CONSTANTS.MIME_CE_BATCH }, body: JSON.stringify([bad, good]) });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_events');
    expect(res.body.results.map((r: any) => r.status)).toEqual(['rejected', 'accepted']);
    expect(res.body.results[0].errors).toEqual([expect.objectContaining({ field: 'data.durationMs' })]);
    const binaryBad = await send(HTTP.binary(bad));
    expect(binaryBad.body.results[0]).toMatchObject({ id: 'sdk-bad', status: 'rejected' });
    expect(await available(ledger, account)).toBe('99');
  });

  it("the SDK's own emitter (emitterFor(httpTransport(url)), binary mode by default) over a socket", async () => {
    const account = 'acct_ce_sdk_emitter';
    const at = await proAccountAnHourOld(ledger, account);
    await ledger.app.listen(0, '127.0.0.1');
    const { port } = ledger.app.getHttpServer().address() as AddressInfo;
    const emit = emitterFor(httpTransport(`http://127.0.0.1:${port}/v1/events`));
    const e = sdkEvent(renderCompleted({ subject: account, time: at(10), durationMs: 103_000 })); // 2
    const answer = (await emit(e, { headers: bearer(producerKey) })) as { body: string };
    expect(JSON.parse(answer.body)).toEqual({ results: [{ id: e.id, source: e.source, status: 'accepted' }] });
    expect(await available(ledger, account)).toBe('98');
  });
});
