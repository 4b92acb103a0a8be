// One jest run for the whole monorepo. Names say the scope: *.spec.ts (pure),
// *.int-spec.ts (a real database or broker), *.e2e-spec.ts (the running service).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testRegex: '.*\\.(spec|int-spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: {
    '^@ledger/domain$': '<rootDir>/libs/domain/src',
    '^@ledger/domain/(.*)$': '<rootDir>/libs/domain/src/$1',
    '^@ledger/event-store$': '<rootDir>/libs/event-store/src',
    '^@ledger/event-store/(.*)$': '<rootDir>/libs/event-store/src/$1',
    '^@ledger/service/(.*)$': '<rootDir>/libs/service/src/$1',
    '^@usage-ledger/producer-client$': '<rootDir>/libs/producer-client/src',
  },
  setupFiles: ['reflect-metadata'],
  testTimeout: 60000,
};
