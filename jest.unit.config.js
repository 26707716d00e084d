/** Unit tests: *.spec.ts beside the code; no database or Redis. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: 'src/.*\\.spec\\.ts$',
  transform: {
    '^.+\\.ts$': 'ts-jest',
    // @fastify/static (Swagger UI assets) requires content-disposition 3, which ships ESM only;
    // Node 20.19+ loads it natively, Jest needs it transformed to CommonJS.
    'node_modules/content-disposition/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
};
