import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Provenance } from '@ledger/service/accounts/account-ledger';
import { EventResult, UsageIngest } from '@ledger/service/usage/usage-ingest';

export class IngestUsage {
  constructor(readonly raws: readonly unknown[], readonly provenance: (index: number) => Provenance) {}
}

@CommandHandler(IngestUsage)
export class IngestUsageHandler implements ICommandHandler<IngestUsage, EventResult[]> {
  constructor(private readonly ingest: UsageIngest) {}
  execute(cmd: IngestUsage): Promise<EventResult[]> {
    return this.ingest.ingest(cmd.raws, cmd.provenance);
  }
}
