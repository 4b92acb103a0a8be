// The dashboard (api.md "Dashboard"): GET /dashboard serves the page built from apps/dashboard.
// The page reads only the public JSON API, with the key its user signs in with.
import { MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { DashboardFiles } from './dashboard-files';

@Module({ providers: [DashboardFiles] })
export class DashboardModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(DashboardFiles)
      .forRoutes({ path: 'dashboard', method: RequestMethod.GET }, { path: 'dashboard/*path', method: RequestMethod.GET });
  }
}
