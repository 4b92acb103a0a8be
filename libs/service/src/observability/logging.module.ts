// Every log line JSON, by pino through nestjs-pino: Nest's Logger (every `new Logger(X)`) writes
// to the application's pino logger, and a line logged while an HTTP request is handled carries its
// `requestId` (pino-http's child logger in nestjs-pino's AsyncLocalStorage); a line logged while a
// Kafka batch is handled carries its topic, partition and offsets (LOG_CONTEXT).
//
// Secrets: the request line's headers are redacted (authorization, x-api-key, cookies) before
// anything is written; no other line logs a header.
//
// Request lines (pino-http's "request completed"): at info, except the hot and the polled routes
// (POST /v1/events, GET /metrics, GET /health) whose answers below 400 are logged at debug: a line
// per ingest request is a JSON serialisation and a write per batch on the path the benchmark
// measures, and says nothing /metrics does not. Their failures stay at warn (4xx) and error (5xx).
import { IncomingMessage, ServerResponse } from 'http';
import { randomUUID } from 'crypto';
import { DynamicModule, Global, INestApplicationContext, Module } from '@nestjs/common';
import { Logger as NestPinoLogger, LoggerModule, Params, PinoLogger } from 'nestjs-pino';
import { storage, Store } from 'nestjs-pino/storage';
import pino, { Level, LevelWithSilent } from 'pino';
import { requestIdOf } from '../kit/input-limits';
import { LOG_CONTEXT, LogContext } from '../kit/log-context';
import { LoggingConfig } from './observability-config';

/** Header values never written: the keys of the access module, cookies. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
];

const QUIET_ROUTES = new Set(['/v1/events', '/metrics', '/health']);

const APP_LOGGER = Symbol('APP_LOGGER');

/** nestjs-pino's PinoLogger keeps one logger per process (the first made); this one is the application's own. */
class ApplicationPinoLogger extends PinoLogger {
  constructor(
    params: Params,
    private readonly root: pino.Logger,
  ) {
    super(params);
  }

  override get logger(): pino.Logger {
    return storage.getStore()?.logger ?? this.root;
  }
}

function levelOfAnswer(req: IncomingMessage, res: ServerResponse, err?: Error): LevelWithSilent {
  if (err || res.statusCode >= 500) return 'error';
  if (res.statusCode >= 400) return 'warn';
  return QUIET_ROUTES.has((req.url ?? '').split('?')[0]) ? 'debug' : 'info';
}

@Global()
@Module({})
export class LoggingModule {
  static forRoot(config: LoggingConfig): DynamicModule {
    const root = pino(
      { level: config.level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
      config.destination ?? pino.destination({ dest: 1, sync: false }),
    );
    const params: Params = {
      pinoHttp: {
        logger: root,
        // The request's id: a sane X-Request-Id of the caller's (kit/input-limits.ts), else a new one; the answer says which.
        genReqId: (req, res) => {
          const id = requestIdOf(req.headers['x-request-id'], randomUUID);
          res.setHeader('x-request-id', id);
          return id;
        },
        customAttributeKeys: { reqId: 'requestId' },
        quietReqLogger: true, // lines inside a request carry its id, not the whole request again
        customLogLevel: levelOfAnswer,
      },
    };
    const logContext: LogContext = {
      run: (fields, work) => storage.run(new Store((storage.getStore()?.logger ?? root).child(fields)), work),
    };
    const appLogger = { provide: APP_LOGGER, useFactory: () => new NestPinoLogger(new ApplicationPinoLogger(params, root), params) };
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot(params)],
      providers: [appLogger, { provide: LOG_CONTEXT, useValue: logContext }],
      exports: [APP_LOGGER, LOG_CONTEXT],
    };
  }
}

/** Routes Nest's own lines and every `new Logger(X)` of the application to its pino logger. */
export function useLedgerLogger(app: INestApplicationContext): void {
  app.useLogger(app.get(APP_LOGGER));
  app.flushLogs(); // the lines of the start, buffered until now (Nest flushes them itself only at listen)
}

/** The lowest level of a list of Nest's (`['error', 'warn']` is warn), as pino names it. */
export function pinoLevelOf(levels: readonly string[]): Level | 'silent' {
  const order: [string, Level][] = [
    ['verbose', 'trace'],
    ['debug', 'debug'],
    ['log', 'info'],
    ['warn', 'warn'],
    ['error', 'error'],
    ['fatal', 'fatal'],
  ];
  return order.find(([nest]) => levels.includes(nest))?.[1] ?? 'silent';
}
