// Usage ingest: the one way in for usage events (UsageIngest), used by POST /v1/events, the
// Kafka consumer and the file CLI alike, with the same validation and limits.
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { MetricsModule } from '../kit/metrics.module';
import { EventsController } from './events.controller';
import { UsageIngest } from './usage-ingest';

@Module({
  imports: [AccountsModule, MetricsModule],
  controllers: [EventsController],
  providers: [UsageIngest],
  exports: [UsageIngest],
})
export class UsageModule {}
