import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** bench/peer in the repository, found from this compiled file (dist/bench/lib/peer.js). */
export const PEER_DIR = join(__dirname, '..', '..', '..', 'bench', 'peer');

/**
 * Installs bench/peer (the comparison libraries, outside the product's dependency tree) when it is
 * not installed yet, and returns its folder for BENCH_PEER_DIR; undefined (the comparison row prints
 * "n/a") when the install fails, e.g. offline. --legacy-peer-deps is scoped to this folder: the
 * library declares NestJS <= 10 as a peer and resolves the project's NestJS from ../../node_modules.
 */
export function ensurePeer(log: (line: string) => void): string | undefined {
  const lib = join(PEER_DIR, 'node_modules', '@node-idempotency', 'nestjs', 'package.json');
  if (existsSync(lib)) return PEER_DIR;
  log(`installing the comparison libraries in ${PEER_DIR}`);
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, ['ci', '--legacy-peer-deps', '--no-audit', '--no-fund', '--silent'], {
      cwd: PEER_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return PEER_DIR;
  } catch (err) {
    log(`bench/peer install failed, the comparison row is skipped: ${(err as Error).message}`);
    return undefined;
  }
}
