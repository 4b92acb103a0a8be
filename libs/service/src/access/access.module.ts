// Access (api.md "Access"): API keys from the log, the guard in front of every route, the per-key
// rate limit of the usage routes (@nestjs/throttler), and the key routes.
import { BeforeApplicationShutdown, Inject, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { EVENT_STORE, EventStore, LEDGER_DATABASE, SqlClient } from '@ledger/event-store';
import { LEDGER_SCHEMA } from '../store/store-config';
import { StoreModule } from '../store/store.module';
import { ACCESS_CONFIG, AccessConfig } from './access-config';
import { AccessGuard } from './access.guard';
import { AccountDirectory } from './account-directory';
import { KeyBook } from './key-book';
import { KeyUse } from './key-use';
import { KeysController } from './keys.controller';
import { KeyRateGuard } from './rate-limit.guard';

@Injectable()
class AccessLifecycle implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('access');
  constructor(
    @Inject(ACCESS_CONFIG) private readonly config: AccessConfig,
    private readonly keys: KeyBook,
    private readonly use: KeyUse,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.enabled)
      this.log.warn('LEDGER_AUTH=off: no route checks who is calling; every caller is admin. For experiments only.');
    await this.use.start();
    await this.keys.catchUp();
    if (this.config.enabled && !this.config.adminKeyHash && !(await this.keys.list()).some((k) => k.role === 'admin' && !k.revokedAt))
      this.log.warn(
        'no admin key: set LEDGER_ADMIN_KEY, or create one with `npm run keys -- create --role admin --name ...` (README, "Access")',
      );
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.use.flush();
  }
}

@Module({
  imports: [
    StoreModule,
    ThrottlerModule.forRootAsync({
      inject: [ACCESS_CONFIG],
      useFactory: (c: AccessConfig) => ({
        throttlers: [{ ttl: c.rateLimit.windowMs, limit: Math.max(1, c.rateLimit.limit) }],
        skipIf: () => c.rateLimit.limit === 0,
        errorMessage: `more than ${c.rateLimit.limit} requests of this key in ${c.rateLimit.windowMs} ms; wait for Retry-After seconds`,
      }),
    }),
  ],
  controllers: [KeysController],
  providers: [
    { provide: KeyBook, useFactory: (store: EventStore, c: AccessConfig) => new KeyBook(store, c), inject: [EVENT_STORE, ACCESS_CONFIG] },
    {
      provide: KeyUse,
      useFactory: (db: SqlClient, schema: string, c: AccessConfig) => new KeyUse(db, schema, c.lastUsedWriteMs),
      inject: [LEDGER_DATABASE, LEDGER_SCHEMA, ACCESS_CONFIG],
    },
    AccountDirectory,
    AccessLifecycle,
    AccessGuard,
    KeyRateGuard,
    { provide: APP_GUARD, useExisting: AccessGuard },
  ],
  exports: [KeyBook, KeyRateGuard],
})
export class AccessModule {}
