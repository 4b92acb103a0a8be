// The process managers' providers and controllers, registered by app.module.ts.
import { NotificationDispatcher } from '../notifications/dispatcher';
import { NotificationProjection } from '../notifications/notification-projection';
import { NotificationsController } from '../notifications/notifications.controller';
import { ClockRunner } from './clock-runner';
import { DeadlineProjection } from './deadline-projection';
import { DeadlineRunner } from './deadline-runner';
import { DeadlineSchedule } from './deadline-schedule';

export const PROCESS_PROVIDERS = [DeadlineSchedule, DeadlineProjection, DeadlineRunner, NotificationProjection, NotificationDispatcher, ClockRunner];
export const PROCESS_CONTROLLERS = [NotificationsController];
