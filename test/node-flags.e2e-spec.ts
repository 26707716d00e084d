import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRODUCT_NODE_FLAGS } from '../bench/lib/instances';

/**
 * The Node flags the product runs with are written in three places that cannot import each other:
 * the Dockerfile's CMD, `npm run start:prod`, and the bench/cluster launcher (PRODUCT_NODE_FLAGS).
 * The bench measures what ships only while the three agree.
 */
describe('product Node flags', () => {
  const root = join(__dirname, '..');

  it('the Dockerfile CMD, npm run start:prod and the bench start node with the same flags', () => {
    expect(PRODUCT_NODE_FLAGS.length).toBeGreaterThan(0);
    const cmdLine = readFileSync(join(root, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('CMD '))
      .pop();
    const cmd = JSON.parse(cmdLine!.slice(4)) as string[];
    expect(cmd).toEqual(['node', ...PRODUCT_NODE_FLAGS, 'dist/src/main.js']);

    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['start:prod'].split(/\s+/)).toEqual([
      'node',
      ...PRODUCT_NODE_FLAGS,
      'dist/src/main.js',
    ]);
  });
});
