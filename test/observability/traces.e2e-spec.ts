// Traces of one usage event's path (LEDGER_TRACING): POST /v1/events → ledger.ingest →
// ledger.validate, ledger.decide → ledger.append, each span the child of the one before, with the
// event's and the account's ids and no secret; none at all with tracing off (the default).
import { spawnSync } from 'child_process';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TEST_ADMIN_KEY } from '../support/access';
import { openAccount, renderCompleted } from '../e2e/support';
import { configWith, startObserved } from './support';

const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('traces of a usage event over HTTP', () => {
  it('follow its path with parent and child spans, its ids as attributes, and no secret', async () => {
    const exporter = new InMemorySpanExporter();
    const l = await startObserved(configWith(), exporter);
    try {
      await openAccount(l, 'acct_trace');
      const event = renderCompleted({ id: 'evt-trace-1', subject: 'acct_trace', time: '2026-01-01T00:00:30Z', durationMs: 30_000 });
      await l.http.post('/v1/events').set('x-request-id', 'req-trace-1').send([event]).expect(200);
      const spans = await l.spans();
      const named = (name: string) => {
        const found = spans.filter((s) => s.name === name && s.spanContext().traceId === http.spanContext().traceId);
        expect(found).toHaveLength(1);
        return found[0];
      };
      const http = spans.find((s) => s.name === 'POST /v1/events')!;
      expect(http).toBeDefined();
      const ingest = named('ledger.ingest');
      const validate = named('ledger.validate');
      const decide = named('ledger.decide');
      const append = named('ledger.append');
      expect(parentOf(http)).toBeUndefined(); // the root: no traceparent was sent
      expect(parentOf(ingest)).toBe(http.spanContext().spanId);
      expect(parentOf(validate)).toBe(ingest.spanContext().spanId);
      expect(parentOf(decide)).toBe(ingest.spanContext().spanId);
      expect(parentOf(append)).toBe(decide.spanContext().spanId);
      expect(http.attributes).toMatchObject({ 'http.request.method': 'POST', 'ledger.request_id': 'req-trace-1' });
      expect(ingest.attributes).toMatchObject({ 'ledger.ingest.source': 'http', 'ledger.batch.size': 1 });
      expect(validate.attributes).toMatchObject({ 'ledger.event.ids': ['evt-trace-1'], 'ledger.account.ids': ['acct_trace'] });
      expect(append.attributes).toMatchObject({ 'ledger.append.streams': 1 });
      expect(http.resource.attributes['service.name']).toBe('ledger-test');
      const everything = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
      expect(everything).not.toContain(TEST_ADMIN_KEY);
      expect(everything.toLowerCase()).not.toContain('authorization');
    } finally {
      await l.close();
    }
  });

  it("continue the caller's trace when the request has a traceparent", async () => {
    const exporter = new InMemorySpanExporter();
    const l = await startObserved(configWith(), exporter);
    try {
      await openAccount(l, 'acct_parent');
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      await l.http
        .post('/v1/events')
        .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
        .send([renderCompleted({ subject: 'acct_parent', time: '2026-01-01T00:00:30Z', durationMs: 30_000 })])
        .expect(200);
      const http = (await l.spans()).find((s) => s.name === 'POST /v1/events')!;
      expect(http.spanContext().traceId).toBe(traceId);
      expect(parentOf(http)).toBe('00f067aa0ba902b7');
    } finally {
      await l.close();
    }
  });

  it('are not made with LEDGER_TRACING=off, and the SDK is not even loaded', () => {
    // Its own process: the module cache of this one has the SDK (the specs above use it).
    const script = `
      const { readConfig } = require('@ledger/service/config');
      const { createLedgerApp } = require('./apps/ledger/src/create-app');
      (async () => {
        const app = await createLedgerApp(readConfig({ LEDGER_ADMIN_KEY: '${TEST_ADMIN_KEY}' }), { logger: false });
        await app.init();
        const res = await require('supertest')(app.getHttpServer()).post('/v1/events')
          .set('Authorization', 'Bearer ${TEST_ADMIN_KEY}').send([{ id: 'x' }]);
        const loaded = Object.keys(require.cache).filter((f) => /@opentelemetry[\\\\/](sdk-|exporter-|resources|context-async-hooks)/.test(f));
        await app.close();
        console.log(JSON.stringify({ status: res.status, loaded }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const run = spawnSync(process.execPath, ['-r', './deploy/register.js', '-e', script], {
      env: { ...process.env, DATABASE_URL: '', LEDGER_TRACING: 'off' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(out).toEqual({ status: 400, loaded: [] });
  }, 70_000);

  it('refuses an unknown LEDGER_TRACING or an endpoint that is no URL, naming the setting', () => {
    expect(() => configWith({ LEDGER_TRACING: 'jaeger' })).toThrow(/LEDGER_TRACING/);
    expect(() => configWith({ LEDGER_TRACING: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(configWith({ LEDGER_TRACING: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }).tracing).toMatchObject({
      mode: 'otlp',
      endpoint: 'http://127.0.0.1:4318',
    });
  });
});
