/**
 * Integration and e2e tests in test/: real MariaDB/MySQL and Redis. Every test file builds its
 * apps with test/utils/test-app.ts, which gives each file a database of its own (random name,
 * migrated, dropped afterwards) and a Redis key prefix of its own.
 *
 * ESM-only packages (NestJS 12, content-disposition 3) load through require(esm): Node >= 24.9 and
 * --experimental-vm-modules, set by the npm scripts; checked here so a wrong Node says so at once.
 */
require('./scripts/check-node').checkNodeOrExit({ jest: true });

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: 'test/.*\\.e2e-spec\\.ts$',
  transform: { '^.+\\.ts$': 'ts-jest' },
  globalSetup: '<rootDir>/test/utils/global-setup.ts',
  testTimeout: 60000,
  maxWorkers: 2,
  // an app whose Redis is deliberately unreachable keeps reconnect timers; do not hang the run on them
  forceExit: true,
};
