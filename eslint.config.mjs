// ESLint flat config: `npm run lint` (eslint .). Correctness rules only; layout is Prettier's job
// (neither recommended set below has a formatting rule, so eslint-config-prettier is not needed).
// Not type-aware (no parserOptions.project), to stay fast: types are checked by `npm run typecheck`.
// Every rule kept at 'error' holds on the whole tree: no violation is suppressed.
import eslint from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // node_modules/ and .git/ are ignored by ESLint itself; these are build output and local data.
  globalIgnores(['**/dist/', '**/coverage/', '**/.data/', '.deploy-cache/', 'bench/.work/', 'deploy/kafka/target/', 'test-artifacts/']),

  eslint.configs.recommended,

  {
    files: ['{apps,libs,test,bench}/**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      // Options, not off: a leading _ marks a deliberately unused parameter or binding, and
      // `const { DROPPED, ...rest } = obj` is how the code removes keys.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // warn: the any's are untyped JSON at a boundary (HTTP bodies, SQL rows, JSON.parse); shown so they get typed.
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },

  {
    // The dashboard's page (apps/dashboard/src): TypeScript and TSX that run in the browser.
    files: ['apps/dashboard/src/**/*.{ts,tsx}'],
    extends: [tseslint.configs.recommended],
    languageOptions: { globals: globals.browser },
  },

  {
    files: ['test/**/*.ts'],
    rules: {
      // off in tests: assertions read supertest bodies and raw SQL rows as any; typing them adds nothing.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },

  {
    // jest.config.js, deploy/register.js, the demo's make-sample.js: plain CommonJS run by Node.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
);
