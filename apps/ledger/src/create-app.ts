// Builds the HTTP application: validation at the door, JSON errors, OpenAPI at /docs, the
// dashboard at /dashboard (built here first if npm ci has not built it).
import { existsSync } from 'fs';
import { join } from 'path';
import { INestApplication, Logger, LoggerService, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ValidationError } from 'class-validator';
import { LedgerModule } from '@ledger/service/ledger.module';
import { LedgerConfig } from '@ledger/service/config';
import { ApiError, ApiErrorFilter } from '@ledger/service/kit/http-errors';
import { declareAccess } from '@ledger/service/access/openapi';
import { readsAsText } from '@ledger/service/usage/http-binding';
import { buildDashboard } from '../../dashboard/build';

const fields = (errors: ValidationError[], prefix = ''): { field: string; message: string }[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((message) => ({ field: prefix + e.property, message })),
    ...fields(e.children ?? [], `${prefix}${e.property}.`),
  ]);

export async function createLedgerApp(
  config: LedgerConfig,
  options: { logger?: false | ('error' | 'warn' | 'log')[] | LoggerService } = {},
): Promise<INestApplication> {
  ensureDashboard(config.dashboard.dir);
  const app = await NestFactory.create<NestExpressApplication>(LedgerModule.forRoot(config), {
    logger: options.logger ?? ['error', 'warn', 'log'],
    bodyParser: false,
  });
  return configureLedgerApp(app, config);
}

/** The HTTP edge of an application of LedgerModule (created with `bodyParser: false`). */
export function configureLedgerApp(app: NestExpressApplication, config: LedgerConfig): INestApplication {
  // A body above the limit answers 413 before it is read, let alone parsed (body-parser checks
  // Content-Length first, and counts the bytes of a chunked body as they arrive). The CloudEvents
  // content modes of POST /v1/events are read as text first, whatever their content-type (binary
  // mode's is the data's): a body that is not JSON is then that event's rejection.
  app.useBodyParser('text', { type: readsAsText, limit: config.maxBodyBytes });
  app.useBodyParser('json', { limit: config.maxBodyBytes });
  app.useBodyParser('text', { type: 'application/x-ndjson', limit: config.maxBodyBytes });
  app.useGlobalPipes(
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
  SwaggerModule.setup('docs', app, openApiDocumentOf(app), { jsonDocumentUrl: 'docs/json' });
  return app;
}

/** The OpenAPI document of an application of LedgerModule: /docs, and openapi.json (npm run openapi). */
export function openApiDocumentOf(app: INestApplication): OpenAPIObject {
  return declareAccess(SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('Usage ledger').setVersion('1').build()));
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
