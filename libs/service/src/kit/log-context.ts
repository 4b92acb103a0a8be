// Fields every log line carries while a unit of work runs (a Kafka batch: topic, partition,
// offsets), whichever Logger writes it. The observability module gives the real one (pino child
// loggers in AsyncLocalStorage); without it (a consumer built by hand, a test) the work just runs.

export const LOG_CONTEXT = Symbol('LOG_CONTEXT');

export interface LogContext {
  run<T>(fields: Record<string, string | number>, work: () => T): T;
}

export const NO_LOG_CONTEXT: LogContext = { run: (_fields, work) => work() };
