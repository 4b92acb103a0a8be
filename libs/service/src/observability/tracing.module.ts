// TRACING for every module (global): TRACING_OFF with LEDGER_TRACING=off, else the SDK of
// tracing-sdk.ts, imported here and only here, only then. Shut down (its last spans exported)
// when the application closes.
import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Tracing, TRACING, TRACING_OFF } from '../kit/tracing';
import { TracingConfig } from './observability-config';

@Global()
@Module({})
export class TracingModule implements OnApplicationShutdown {
  constructor(@Inject(TRACING) private readonly tracing: Tracing) {}

  static forRoot(config: TracingConfig): DynamicModule {
    const provider = {
      provide: TRACING,
      useFactory: async (): Promise<Tracing> =>
        config.mode === 'off' ? TRACING_OFF : (await import('./tracing-sdk')).startTracing(config),
    };
    return { module: TracingModule, providers: [provider], exports: [TRACING] };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.tracing.shutdown();
  }
}
