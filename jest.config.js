/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(ts|js)$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  // @middy/* and jose ship ES modules only; Node 20's require(esm) does not reach Jest's own module loader.
  transformIgnorePatterns: ['/node_modules/(?!(@middy/|jose/))'],
  // A dynamic import() in TypeScript under nodenext names the compiled file (`./local-auth.js`): the source is `.ts`.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  setupFiles: ['<rootDir>/tests/support/worker-env.ts'],
  setupFilesAfterEnv: ['<rootDir>/tests/support/close-connections.ts'],
  // Two cores here: each worker owns one database, so files in one worker never share rows.
  maxWorkers: 2,
  testTimeout: 30000,
};
