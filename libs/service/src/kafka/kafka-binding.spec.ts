import { UnreadableEvent } from '../usage/usage-event';
import { eventOfRecord, traceparentOf } from './kafka-binding';

const event = { specversion: '1.0', id: 'e1', source: 'renderer', type: 'render.completed', subject: 'acct_1', data: { jobId: 'j' } };
const value = Buffer.from(JSON.stringify(event));
const binary = { ce_specversion: '1.0', ce_id: 'e1', ce_source: 'renderer', ce_type: 'render.completed', ce_subject: 'acct_1' };
const { ce_id: _id, ...withoutId } = binary;
const reasons = (raw: unknown) => (raw instanceof UnreadableEvent ? raw.errors.map((e) => e.field) : 'readable');

describe('the event of a usage record', () => {
  it('structured: the value, with content-type application/cloudevents+json or without any header', () => {
    expect(eventOfRecord({ value, headers: {} })).toBe(value);
    expect(eventOfRecord({ value, headers: { trace: 'x' } })).toBe(value);
    expect(eventOfRecord({ value, headers: { 'content-type': Buffer.from('application/cloudevents+json; charset=utf-8') } })).toBe(value);
    // content-type decides: ce_ headers beside it are not read
    expect(eventOfRecord({ value, headers: { 'Content-Type': 'application/cloudevents+json', ce_id: 'other' } })).toBe(value);
  });

  it('binary: the attributes of the ce_ headers, the value as data', () => {
    const headers = { ...binary, 'content-type': 'application/json', ce_time: '2026-01-01T00:00:00.000Z' };
    expect(eventOfRecord({ value: Buffer.from('{"jobId":"j"}'), headers })).toEqual({
      specversion: '1.0',
      id: 'e1',
      source: 'renderer',
      type: 'render.completed',
      subject: 'acct_1',
      time: '2026-01-01T00:00:00.000Z',
      datacontenttype: 'application/json',
      data: { jobId: 'j' },
    });
  });

  it.each<[string, Record<string, string | Buffer | string[]>, Buffer | null, string[]]>([
    ['a binary record without ce_id', withoutId, Buffer.from('{}'), ['ce_id']],
    [
      'a binary record without ce_specversion and ce_type',
      { ce_id: 'e1', ce_source: 's' },
      Buffer.from('{}'),
      ['ce_specversion', 'ce_type'],
    ],
    ['a binary record with ce_id twice', { ...binary, ce_id: ['a', 'b'] }, Buffer.from('{}'), ['ce_id']],
    ['a ce_id that is not UTF-8', { ...binary, ce_id: Buffer.from([0xff, 0xfe]) }, Buffer.from('{}'), ['ce_id']],
    ['a binary tombstone', binary, null, ['data']],
    ['a content-type with no ce_ headers', { 'content-type': 'application/json' }, value, ['content-type']],
    ['an unknown content-type', { 'content-type': 'text/csv' }, value, ['content-type']],
    ['another event format', { 'content-type': 'application/cloudevents+avro' }, value, ['content-type']],
    ['a batch', { 'content-type': 'application/cloudevents-batch+json' }, Buffer.from(`[${value}]`), ['content-type']],
    ['content-type twice', { 'content-type': ['application/cloudevents+json', 'application/cloudevents+json'] }, value, ['content-type']],
  ])('%s: unreadable, naming the headers', (_name, headers, v, fields) => {
    expect(reasons(eventOfRecord({ value: v, headers }))).toEqual(fields);
  });
});

describe('the trace context of a usage record', () => {
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  it('is its traceparent header, or ce_traceparent (the CloudEvents distributed-tracing extension, binary mode)', () => {
    expect(traceparentOf({ headers: { traceparent: Buffer.from(tp) } })).toBe(tp);
    expect(traceparentOf({ headers: { ce_traceparent: tp, ce_id: 'e1' } })).toBe(tp);
    expect(traceparentOf({ headers: { traceparent: [Buffer.from(tp), Buffer.from('00-other')] } })).toBe(tp);
  });
  it('is none without the header, or with a value that is no traceparent', () => {
    expect(traceparentOf({ headers: undefined })).toBeUndefined();
    expect(traceparentOf({ headers: { ce_id: 'e1' } })).toBeUndefined();
    expect(traceparentOf({ headers: { traceparent: 'not-a-trace' } })).toBeUndefined();
    expect(traceparentOf({ headers: { traceparent: tp.toUpperCase() } })).toBeUndefined(); // W3C: lower-case hex only
  });
});
