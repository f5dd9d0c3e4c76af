/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  // The global teardown stops the dev server and the test databases; a suite that fails half-way
  // can leave a Temporal worker polling the stopped server, which keeps the run alive for good.
  // Jest then says it is force exiting, so a leak stays visible in the log.
  forceExit: true,
};
