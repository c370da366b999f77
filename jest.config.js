/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  setupFiles: ['<rootDir>/local/engine/polyfills.ts', '<rootDir>/test/setup-env.ts'],
  testTimeout: 30000,
  // Jest's default on 2 cores is one worker. Most tests wait on HTTP, timers, bakes and child
  // processes rather than compute: on this 2-core machine 3 workers run the suite in 215 s, 2 in 251 s.
  maxWorkers: 3,
};
