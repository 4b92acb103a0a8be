// The finance projections: the checkpointed projector that keeps the read models of
// `<schema>_rm` from the log (in this process unless LEDGER_PROJECTOR=off), and their status.
import { Module } from '@nestjs/common';
import { MetricsModule } from '../kit/metrics.module';
import { StoreModule } from '../store/store.module';
import { FinanceProjections } from './finance-projections.service';

@Module({
  imports: [StoreModule, MetricsModule],
  providers: [FinanceProjections],
  exports: [FinanceProjections],
})
export class ProjectionsModule {}
