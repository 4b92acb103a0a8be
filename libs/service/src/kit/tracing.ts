// Traces of the usage path, through @opentelemetry/api only: every module starts its spans with
// `inSpan`, whatever the setting. With LEDGER_TRACING=off (the default) the tracing is TRACING_OFF:
// no SDK is loaded, and `inSpan` calls its function straight away (no span, no context switch).
// The SDK is the observability module's (observability/tracing-sdk.ts), loaded only when asked.
import { Attributes, Context, context, Link, Span, SpanKind, SpanStatusCode, trace, Tracer } from '@opentelemetry/api';

export const TRACING = Symbol('TRACING');

export interface Tracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /** The context a W3C `traceparent` names (a Kafka record's header), or undefined when there is none or it is unreadable. */
  contextOf(traceparent: string | undefined): Context | undefined;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export const TRACING_OFF: Tracing = {
  enabled: false,
  tracer: trace.getTracer('usage-ledger'),
  contextOf: () => undefined,
  flush: async () => undefined,
  shutdown: async () => undefined,
};

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** The parent, when not the active span (a Kafka record's traceparent). */
  parent?: Context;
}

/**
 * Runs `fn` inside a new span, child of the active one (or of `options.parent`); ends it, and
 * marks it failed when `fn` throws. With tracing off, only calls `fn` (with no span).
 */
export function inSpan<T>(tracing: Tracing, name: string, options: SpanOptions, fn: (span?: Span) => Promise<T>): Promise<T> {
  if (!tracing.enabled) return fn();
  const parent = options.parent ?? context.active();
  return tracing.tracer.startActiveSpan(
    name,
    { kind: options.kind, attributes: options.attributes, links: options.links },
    parent,
    (span) =>
      fn(span).then(
        (value) => {
          span.end();
          return value;
        },
        (err: Error) => {
          span.recordException(err);
          span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
          span.end();
          throw err;
        },
      ),
  );
}

/** At most this many ids on one span (a batch may hold thousands of events). */
export const MAX_IDS_PER_SPAN = 64;
