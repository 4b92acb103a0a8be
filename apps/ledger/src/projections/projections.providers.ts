// The finance projections' providers, for LedgerModule (all-in-one) and the projector app.
import { Provider } from '@nestjs/common';
import { MetricsRegistry } from '../observability/metrics-registry';
import { FinanceProjections } from './finance-projections';
import { PROJECTION_CONFIG, ProjectionConfig, readProjectionConfig } from './projection-config';

export const projectionProviders = (config: ProjectionConfig = readProjectionConfig()): Provider[] => [
  { provide: PROJECTION_CONFIG, useValue: config },
  MetricsRegistry,
  FinanceProjections,
];
