// The `dashboard` section of the configuration: where the built page is (apps/dashboard/build.js
// writes it; npm ci runs that build).
import { join } from 'path';
import { Env } from '../kit/env';

export interface DashboardConfig {
  /** The directory of the built dashboard: index.html, app.js, style.css (LEDGER_DASHBOARD_DIR). */
  dir: string;
}

export const DASHBOARD_CONFIG = Symbol('DASHBOARD_CONFIG');

/** dist/dashboard at the top of the repository, where `npm run build:dashboard` writes. */
export const DEFAULT_DASHBOARD_DIR = join(__dirname, '..', '..', '..', '..', 'dist', 'dashboard');

export const readDashboardConfig = (env: Env): DashboardConfig => ({ dir: env.LEDGER_DASHBOARD_DIR || DEFAULT_DASHBOARD_DIR });
