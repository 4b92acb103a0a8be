import { binaryModeEvent, AttributeHeaders, contentModeOf } from './cloudevents-binding';
import { isJsonContentType, UnreadableEvent } from './usage-event';

const KAFKA: AttributeHeaders = { prefix: 'ce_', decode: (v) => v, encodingRule: 'UTF-8' };
const headers = (h: Record<string, string | string[]>) => new Map(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v : [v]]));
const attributes = { ce_specversion: '1.0', ce_id: 'e1', ce_source: 'renderer', ce_type: 'render.completed', ce_subject: 'acct_1' };
const fields = (event: object) => (event instanceof UnreadableEvent ? event.errors.map((e) => e.field) : []);

describe('the content mode of a message', () => {
  it.each([
    ['application/cloudevents+json', false, 'structured'],
    ['application/cloudevents+json; charset=utf-8', true, 'structured'],
    ['Application/CloudEvents-Batch+JSON', false, 'batched'],
    ['application/cloudevents+avro', false, 'unsupported'],
    ['application/json', true, 'binary'],
    [undefined, true, 'binary'],
    ['application/json', false, 'none'],
    [undefined, false, 'none'],
  ] as const)('content-type %s, attribute headers %s: %s', (contentType, hasHeaders, mode) => {
    expect(contentModeOf(contentType, hasHeaders).mode).toBe(mode);
  });
});

describe('a JSON data content type', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['APPLICATION/JSON;charset="UTF-8"', true],
    ['application/json; charset=latin1', false],
    ['text/json', false],
    ['application/jsonx', false],
  ])('%s: %s', (type, json) => expect(isJsonContentType(type)).toBe(json));
});

describe('the event of a binary-mode message', () => {
  it('takes every attribute header, content-type as datacontenttype and the body as data', () => {
    const event = binaryModeEvent(
      KAFKA,
      headers({ ...attributes, ce_traceparent: 't', 'content-type': 'application/json; charset=utf-8' }),
      '{"a":1}',
    );
    expect(event).toEqual({
      specversion: '1.0',
      id: 'e1',
      source: 'renderer',
      type: 'render.completed',
      subject: 'acct_1',
      traceparent: 't',
      datacontenttype: 'application/json',
      data: { a: 1 },
    });
  });

  it('takes ce_datacontenttype when it agrees with content-type, or when there is no content-type', () => {
    expect(binaryModeEvent(KAFKA, headers({ ...attributes, ce_datacontenttype: 'application/json' }), '{}')).toMatchObject({
      datacontenttype: 'application/json',
    });
    expect(
      fields(
        binaryModeEvent(KAFKA, headers({ ...attributes, ce_datacontenttype: 'text/plain', 'content-type': 'application/json' }), '{}'),
      ),
    ).toEqual(['ce_datacontenttype']);
  });

  it('names each header it cannot read', () => {
    const { ce_id: _id, ...noId } = attributes;
    expect(fields(binaryModeEvent(KAFKA, headers(noId), '{}'))).toEqual(['ce_id']);
    expect(fields(binaryModeEvent(KAFKA, headers({ ...attributes, ce_id: ['a', 'b'] }), '{}'))).toEqual(['ce_id']);
    expect(fields(binaryModeEvent(KAFKA, headers({ ...attributes, 'ce_Trace-Parent': 'x' }), '{}'))).toEqual(['ce_Trace-Parent']);
    expect(
      fields(binaryModeEvent(KAFKA, headers({ ...attributes, 'content-type': ['application/json', 'application/json'] }), '{}')),
    ).toEqual(['content-type']);
    expect(fields(binaryModeEvent(KAFKA, headers(attributes), 'nope'))).toEqual(['data']);
    expect(fields(binaryModeEvent(KAFKA, headers(attributes), undefined))).toEqual(['data']);
    expect(fields(binaryModeEvent(KAFKA, headers(attributes), `"${'x'.repeat(70_000)}"`))).toEqual(['data']);
  });
});
