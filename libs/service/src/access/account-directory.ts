// Whether an account exists, from the log (its stream has an event): what a key bound to it needs.
import { Inject, Injectable } from '@nestjs/common';
import { accountStream } from '@ledger/domain';
import { EVENT_STORE, EventStore } from '@ledger/event-store';

@Injectable()
export class AccountDirectory {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async exists(accountId: string): Promise<boolean> {
    return (await this.store.readStream(accountStream(accountId), 1)).length > 0;
  }
}
