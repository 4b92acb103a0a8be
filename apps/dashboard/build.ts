// Builds the dashboard (GET /dashboard) into dist/dashboard: one script bundled by esbuild from
// src/main.tsx (Preact, uPlot, the domain's credit conversions), one stylesheet, index.html.
// Run by `npm ci` (the package's prepare script), by `npm run build:dashboard`, and by the service
// when its output is missing. `--watch` rebuilds on every change.
import { buildSync, BuildOptions, context, stop } from 'esbuild';
import { copyFileSync, mkdirSync } from 'fs';
import { join } from 'path';

const SOURCE = __dirname;
export const DASHBOARD_OUT = join(__dirname, '..', '..', 'dist', 'dashboard');

const options = (outdir: string): BuildOptions => ({
  absWorkingDir: SOURCE,
  entryPoints: { app: 'src/main.tsx', style: 'src/style.css' },
  outdir,
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  tsconfig: join(SOURCE, 'tsconfig.json'),
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  logLevel: 'warning',
});

const copyPage = (outdir: string) => {
  mkdirSync(outdir, { recursive: true });
  copyFileSync(join(SOURCE, 'index.html'), join(outdir, 'index.html'));
};

/** Builds the dashboard into `outdir` (dist/dashboard by default), synchronously; returns the directory. */
export function buildDashboard(outdir = DASHBOARD_OUT): string {
  copyPage(outdir);
  buildSync(options(outdir));
  // esbuild keeps its service process after a build; a long-lived caller (the service, a test run)
  // must not be kept alive by it.
  stop();
  return outdir;
}

if (require.main === module) {
  if (process.argv.includes('--watch')) {
    copyPage(DASHBOARD_OUT);
    void context(options(DASHBOARD_OUT))
      .then((ctx) => ctx.watch())
      .then(() => console.log(`dashboard: watching ${SOURCE}, writing ${DASHBOARD_OUT}`));
  } else {
    console.log(`dashboard built in ${buildDashboard()}`);
  }
}
