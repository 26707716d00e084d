/** Unit tests: *.spec.ts beside the code; no database or Redis. */
require('./scripts/check-node').checkNodeOrExit({ jest: true });

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: 'src/.*\\.spec\\.ts$',
  // `--coverage` reports on every source file, not only those a unit test happens to import
  collectCoverageFrom: ['src/**/*.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
};
