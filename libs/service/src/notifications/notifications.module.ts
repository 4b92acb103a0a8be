// Notifications: the projection that decides them from the log into an outbox, the dispatcher
// that delivers the outbox (webhook or Kafka), and GET /v1/accounts/{id}/notifications.
import { Module } from '@nestjs/common';
import { StoreModule } from '../store/store.module';
import { NotificationDispatcher } from './dispatcher';
import { NotificationProjection } from './notification-projection';
import { NotificationsController } from './notifications.controller';

@Module({
  imports: [StoreModule],
  controllers: [NotificationsController],
  providers: [NotificationProjection, NotificationDispatcher],
  exports: [NotificationProjection, NotificationDispatcher],
})
export class NotificationsModule {}
