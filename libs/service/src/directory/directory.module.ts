// The account directory over the finance read models: GET /v1/accounts, GET /v1/accounts/{id}.
import { Module } from '@nestjs/common';
import { ProjectionsModule } from '../projections/projections.module';
import { StoreModule } from '../store/store.module';
import { DirectoryController } from './directory.controller';
import { DirectoryReadModel } from './directory-read-model';
import { DIRECTORY_HANDLERS } from './directory.queries';

@Module({
  imports: [StoreModule, ProjectionsModule],
  controllers: [DirectoryController],
  providers: [DirectoryReadModel, ...DIRECTORY_HANDLERS],
})
export class DirectoryModule {}
