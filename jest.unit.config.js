/** Unit tests: *.spec.ts beside the code; no database or Redis. */
require('./scripts/check-node').checkNodeOrExit({ jest: true });

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: 'src/.*\\.spec\\.ts$',
  transform: { '^.+\\.ts$': 'ts-jest' },
};
