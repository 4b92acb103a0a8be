// Runs the TypeScript sources directly: transpile-only (types are checked by `npm run typecheck`)
// and the @ledger/* paths of tsconfig.base.json resolved at run time.
process.env.TS_NODE_TRANSPILE_ONLY ??= 'true';
process.env.TS_NODE_PROJECT ??= require('path').join(__dirname, '..', 'tsconfig.json');
require('ts-node/register');
require('tsconfig-paths/register');
require('reflect-metadata');
