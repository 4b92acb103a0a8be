// The finance projections' providers, for LedgerModule (all-in-one) and the projector app.
import { Provider } from '@nestjs/common';
import { MetricsRegistry } from '@ledger/service/kit/metrics-registry';
import { FinanceProjections } from '@ledger/service/projections/finance-projections.service';
import { PROJECTION_CONFIG, ProjectionConfig, readProjectionConfig } from '@ledger/service/projections/projection-config';

export const projectionProviders = (config: ProjectionConfig = readProjectionConfig()): Provider[] => [
  { provide: PROJECTION_CONFIG, useValue: config },
  MetricsRegistry,
  FinanceProjections,
];
