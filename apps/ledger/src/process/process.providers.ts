// The process managers' providers and controllers, registered by app.module.ts.
import { NotificationDispatcher } from '@ledger/service/notifications/dispatcher';
import { NotificationProjection } from '@ledger/service/notifications/notification-projection';
import { NotificationsController } from '@ledger/service/notifications/notifications.controller';
import { ClockRunner } from '@ledger/service/process/clock-runner';
import { DeadlineProjection } from '@ledger/service/process/deadline-projection';
import { DeadlineRunner } from '@ledger/service/process/deadline-runner';
import { DeadlineSchedule } from './deadline-schedule';

export const PROCESS_PROVIDERS = [DeadlineSchedule, DeadlineProjection, DeadlineRunner, NotificationProjection, NotificationDispatcher, ClockRunner];
export const PROCESS_CONTROLLERS = [NotificationsController];
