/**
 * Integration and e2e tests in test/: real MariaDB/MySQL and Redis. Every test file builds its
 * apps with test/utils/test-app.ts, which gives each file a database of its own (random name,
 * migrated, dropped afterwards) and a Redis key prefix of its own.
 */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: 'test/.*\\.e2e-spec\\.ts$',
  transform: {
    '^.+\\.ts$': 'ts-jest',
    // @fastify/static (Swagger UI assets) requires content-disposition 3, which ships ESM only;
    // Node 20.19+ loads it natively, Jest needs it transformed to CommonJS.
    'node_modules/content-disposition/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  globalSetup: '<rootDir>/test/utils/global-setup.ts',
  testTimeout: 60000,
  maxWorkers: 2,
  // an app whose Redis is deliberately unreachable keeps reconnect timers; do not hang the run on them
  forceExit: true,
};
