// Builds the HTTP application: validation at the door, JSON errors, OpenAPI at /docs, the
// dashboard at /dashboard (built here first if npm ci has not built it).
import { existsSync } from 'fs';
import { join } from 'path';
import { ArgumentMetadata, INestApplication, Logger, LoggerService, PipeTransform, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ValidationError } from 'class-validator';
import { LedgerModule } from '@ledger/service/ledger.module';
import { LedgerConfig } from '@ledger/service/config';
import { ApiError, ApiErrorFilter } from '@ledger/service/kit/http-errors';
import { declareAccess } from '@ledger/service/access/openapi';
import { readsAsText } from '@ledger/service/usage/http-binding';
import { noteArrival } from '@ledger/service/usage/arrival';
import { declareAnswers } from '@ledger/service/kit/openapi-answers';
import { NextFunction, Request, Response } from 'express';
import { DestinationStream } from 'pino';
import { pinoLevelOf, useLedgerLogger } from '@ledger/service/observability/logging.module';
import { buildDashboard } from '../../dashboard/build';

const fields = (errors: ValidationError[], prefix = ''): { field: string; message: string }[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((message) => ({ field: prefix + e.property, message })),
    ...fields(e.children ?? [], `${prefix}${e.property}.`),
  ]);

/**
 * `logger`: false (tests: no line at all), the lowest level of Nest's names (`['error', 'warn']`:
 * warn and above), or a LoggerService of the caller's for Nest's lines; unset, LEDGER_LOG_LEVEL.
 * Lines are JSON (pino) on stdout, or on `logDestination`.
 */
export async function createLedgerApp(
  config: LedgerConfig,
  options: { logger?: false | ('error' | 'warn' | 'log' | 'debug')[] | LoggerService; logDestination?: DestinationStream } = {},
): Promise<INestApplication> {
  ensureDashboard(config.dashboard.dir);
  const { logger } = options;
  const level = logger === false ? 'silent' : Array.isArray(logger) ? pinoLevelOf(logger) : config.logging.level;
  const own = {
    ...config,
    logging: { ...config.logging, level, ...(options.logDestination ? { destination: options.logDestination } : {}) },
  };
  const pinoForNest = logger === undefined || Array.isArray(logger);
  const app = await NestFactory.create<NestExpressApplication>(LedgerModule.forRoot(own), {
    logger: pinoForNest ? undefined : logger,
    bufferLogs: pinoForNest,
    bodyParser: false,
  });
  if (pinoForNest) useLedgerLogger(app);
  return configureLedgerApp(app, own);
}

/** The HTTP edge of an application of LedgerModule (created with `bodyParser: false`). */
export function configureLedgerApp(app: NestExpressApplication, config: LedgerConfig): INestApplication {
  // A body above the limit answers 413 before it is read, let alone parsed (body-parser checks
  // Content-Length first, and counts the bytes of a chunked body as they arrive). The CloudEvents
  // content modes of POST /v1/events are read as text first, whatever their content-type (binary
  // mode's is the data's): a body that is not JSON is then that event's rejection. JSON is read not
  // strict: a body that is JSON but no object or array (`""`, `1`) is read, so the access guard
  // answers before the route's validation refuses it (401 first, then 400).
  app.use(noteArrival); // first: an event's lag to its charge counts from here, before its body is read
  app.useBodyParser('text', { type: readsAsText, limit: config.maxBodyBytes });
  app.useBodyParser('json', { limit: config.maxBodyBytes, strict: false });
  app.useBodyParser('text', { type: 'application/x-ndjson', limit: config.maxBodyBytes });
  app.useGlobalPipes(
    new BodyIsObjectPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      exceptionFactory: (errors) => {
        const details = fields(errors);
        return new ApiError(400, 'invalid', details.map((d) => d.message).join('; '), details);
      },
    }),
  );
  app.useGlobalFilters(new ApiErrorFilter());
  app.enableShutdownHooks();
  const doc = openApiDocumentOf(app);
  app.use(methodNotAllowed(doc));
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs/json' });
  return app;
}

/** The OpenAPI document of an application of LedgerModule: /docs, and openapi.json (npm run openapi). */
export function openApiDocumentOf(app: INestApplication): OpenAPIObject {
  return declareAnswers(
    declareAccess(SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('Usage ledger').setVersion('1').build())),
  );
}

/** A body bound to a DTO is a JSON object (or absent): not null, an array or a bare value. */
class BodyIsObjectPipe implements PipeTransform {
  transform(value: unknown, { type, metatype }: ArgumentMetadata): unknown {
    if (type !== 'body' || !metatype || value === undefined) return value;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
    throw new ApiError(400, 'invalid', 'the body must be a JSON object', [{ field: '$', message: 'expected an object' }]);
  }
}

/**
 * A method a known path does not answer (TRACE, DELETE...): 405 with `Allow` listing the methods
 * it does, from the routes of the OpenAPI document (HEAD goes with GET; OPTIONS is Express's own).
 */
function methodNotAllowed(doc: OpenAPIObject) {
  const routes = Object.entries(doc.paths).map(([path, operations]) => {
    const methods = Object.keys(operations)
      .filter((m) => ['get', 'put', 'post', 'delete', 'patch'].includes(m))
      .map((m) => m.toUpperCase());
    const pattern = new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
    return { pattern, allow: methods.includes('GET') ? [...methods, 'HEAD'] : methods };
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const allow = [...new Set(routes.filter((r) => r.pattern.test(req.path)).flatMap((r) => r.allow))];
    if (allow.length === 0 || req.method === 'OPTIONS' || allow.includes(req.method)) return next();
    res
      .status(405)
      .setHeader('Allow', allow.join(', '))
      .json({ error: 'method_not_allowed', message: `${req.method} is not answered at ${req.path}`, details: [] });
  };
}

/** Builds the dashboard into `dir` when it is not there (an install that skipped the build); if that fails, /dashboard answers 503 saying so. */
function ensureDashboard(dir: string): void {
  if (existsSync(join(dir, 'index.html'))) return;
  try {
    buildDashboard(dir);
  } catch (err) {
    new Logger('dashboard').warn(`not built (${(err as Error).message.split('\n')[0]}): GET /dashboard answers 503`);
  }
}
