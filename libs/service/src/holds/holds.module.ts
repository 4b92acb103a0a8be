// Holds (api.md "Holds"): place, release and list, written through the accounts' one writer.
// Capture and release by usage need nothing here: the decider does them on the usage itself.
import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { HOLD_HANDLERS } from './hold.commands';
import { HoldsController } from './holds.controller';

@Module({
  imports: [AccountsModule],
  controllers: [HoldsController],
  providers: [...HOLD_HANDLERS],
})
export class HoldsModule {}
