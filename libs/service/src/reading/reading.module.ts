// Reading from the account streams (history is the source of truth): balances now or as of an
// instant, and authorizations.
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ReadingController } from './reading.controller';
import { READING_HANDLERS } from './reading.queries';

@Module({
  imports: [AccountsModule],
  controllers: [ReadingController],
  providers: [...READING_HANDLERS],
})
export class ReadingModule {}
