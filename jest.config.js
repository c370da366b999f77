/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  setupFiles: ['<rootDir>/local/engine/polyfills.ts', '<rootDir>/test/setup-env.ts'],
  testTimeout: 30000,
  // Jest's default on 2 cores is one worker; most tests wait on HTTP, timers and child processes.
  maxWorkers: 2,
};
