// The settings of logs and traces, read once at start (config.ts) like every other section.
import type { DestinationStream } from 'pino';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ConfigError, Env, readChoice } from '../kit/env';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggingConfig {
  /** LEDGER_LOG_LEVEL: the lowest level written (JSON lines on stdout). */
  level: LogLevel;
  /** Where the lines go instead of stdout (tests read them). Never from the environment. */
  destination?: DestinationStream;
}

export type TracingConfig =
  | { mode: 'off' }
  | {
      mode: 'otlp' | 'console';
      /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (spans go to <it>/v1/traces). */
      endpoint: string;
      /** OTEL_SERVICE_NAME: service.name of every span. */
      serviceName: string;
      /** An exporter of the caller's instead of OTLP or the console (tests, the benchmark). Never from the environment. */
      exporter?: SpanExporter;
    };

export function readLoggingConfig(env: Env): LoggingConfig {
  return { level: readChoice(env, 'LEDGER_LOG_LEVEL', LOG_LEVELS, 'info') };
}

export function readTracingConfig(env: Env): TracingConfig {
  const mode = readChoice(env, 'LEDGER_TRACING', ['off', 'otlp', 'console'], 'off');
  if (mode === 'off') return { mode };
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || 'http://localhost:4318';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError('OTEL_EXPORTER_OTLP_ENDPOINT', `must be an http(s) URL (e.g. http://127.0.0.1:4318), got "${endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError('OTEL_EXPORTER_OTLP_ENDPOINT', `must be an http(s) URL (OTLP over HTTP), got "${url.protocol}"`);
  return { mode, endpoint: endpoint.replace(/\/+$/, ''), serviceName: env.OTEL_SERVICE_NAME?.trim() || 'usage-ledger' };
}
