// The process managers: the deadline projection (process_deadlines from the log), the deadline
// runner that advances due accounts through the account writer, and the ClockRunner that moves
// them all (and the notifications) under leases, or at once for PUT /v1/simulation/clock.
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { MetricsModule } from '../kit/metrics.module';
import { StoreModule } from '../store/store.module';
import { ClockRunner } from './clock-runner';
import { DeadlineProjection } from './deadline-projection';
import { DeadlineRunner } from './deadline-runner';
import { HoldMetrics } from './hold-metrics';

@Module({
  imports: [StoreModule, AccountsModule, NotificationsModule, MetricsModule],
  providers: [DeadlineProjection, DeadlineRunner, ClockRunner, HoldMetrics],
  exports: [ClockRunner],
})
export class ProcessModule {}
