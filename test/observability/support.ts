// The service in-process with its log lines and spans kept for the specs to read: lines from pino's
// destination (what production writes to stdout), spans from an in-memory exporter.
import { Writable } from 'stream';
import { INestApplication } from '@nestjs/common';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { LedgerConfig, readConfig } from '@ledger/service/config';
import { TRACING, Tracing } from '@ledger/service/kit/tracing';
import { createLedgerApp } from '../../apps/ledger/src/create-app';
import { ADMIN_ENV, asKey } from '../support/access';
import { Ledger, SIMULATION_START } from '../e2e/support';

/** Every line written, as written (one JSON object each, when all is well). */
export class Lines extends Writable {
  readonly written: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.written.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  json(): Record<string, unknown>[] {
    return this.written.map((l) => JSON.parse(l));
  }
}

export interface Observed extends Ledger {
  lines: Lines;
  /** The spans ended so far (flushed first). */
  spans(): Promise<ReadableSpan[]>;
}

export const configWith = (env: Record<string, string> = {}): LedgerConfig =>
  readConfig({ ...ADMIN_ENV, LEDGER_SIMULATION: 'true', LEDGER_SIMULATION_START: SIMULATION_START, ...env });

/** The service with `config`; with `exporter` (tracing on), its spans go there. */
export async function startObserved(config: LedgerConfig, exporter?: InMemorySpanExporter): Promise<Observed> {
  const lines = new Lines();
  const tracing = exporter
    ? { mode: 'console' as const, endpoint: 'http://127.0.0.1:4318', serviceName: 'ledger-test', exporter }
    : config.tracing;
  const app: INestApplication = await createLedgerApp({ ...config, tracing }, { logDestination: lines });
  await app.init();
  return {
    app,
    http: asKey(app.getHttpServer()),
    lines,
    close: () => app.close(),
    spans: async () => {
      await app.get<Tracing>(TRACING).flush();
      return exporter?.getFinishedSpans() ?? [];
    },
  };
}
