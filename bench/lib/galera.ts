import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The 3-node MariaDB Galera cluster of .ci/galera.sh (client ports 3311-3313) for `npm run chaos --
 * --galera` and the bench's Galera row: each instance writes to its own node.
 */
export const GALERA_PORTS = [3311, 3312, 3313];
// dist/bench/lib → the repository root
const SCRIPT = join(__dirname, '..', '..', '..', '.ci', 'galera.sh');
const run = promisify(execFile);

/** Starts (or reuses; a killed node is recovered and rejoins by IST) the cluster, all nodes Synced. */
export async function ensureGalera(): Promise<void> {
  await run('bash', [SCRIPT], { timeout: 240_000 });
}

/** kill -9 of node n (1-based). */
export async function killGaleraNode(n: number): Promise<void> {
  await run('bash', [SCRIPT, 'stop', String(n)], { timeout: 30_000 });
}
