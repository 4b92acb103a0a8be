// The OpenTelemetry SDK behind LEDGER_TRACING=otlp|console: loaded by the tracing module only
// then (import() of this file), so a ledger with tracing off never loads it. One provider per
// application, not registered as the global one (tests run several applications in a process);
// only the context manager is global, so a span started in an HTTP request is the parent of the
// spans of the ingest it awaits. Spans are exported in batches, off the request path.
import { context, defaultTextMapGetter, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, NodeTracerProvider, SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { Tracing } from '../kit/tracing';
import { TracingConfig } from './observability-config';

let contextManager: AsyncLocalStorageContextManager | undefined;
const w3c = new W3CTraceContextPropagator();

export function startTracing(config: Exclude<TracingConfig, { mode: 'off' }>): Tracing {
  if (!contextManager) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(w3c);
  }
  const exporter: SpanExporter =
    config.exporter ??
    (config.mode === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter({ url: `${config.endpoint}/v1/traces` }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return {
    enabled: true,
    tracer: provider.getTracer('usage-ledger'),
    contextOf(traceparent) {
      if (!traceparent) return undefined;
      const extracted = w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
      return extracted === ROOT_CONTEXT ? undefined : extracted;
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
