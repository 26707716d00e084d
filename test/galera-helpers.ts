import { ChildProcess, execFile, spawn } from 'node:child_process';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import type { Response } from 'supertest';
import { eventually } from './factories/order.factory';

/**
 * The 3-node Galera cluster of .ci/galera.sh (client ports 3311-3313) as the Galera suite uses it.
 * Everything here is asynchronous: the apps under test run in this process, so a blocking child
 * (execFileSync) would stall them too.
 */
export const GALERA_PORTS = [3311, 3312, 3313];
export const GALERA_ROOT = '/var/lib/oncepay-galera';
const SCRIPT = join(__dirname, '..', '.ci', 'galera.sh');
const LOCK = '/tmp/oncepay-galera.test.lock';
const run = promisify(execFile);

/** Starts (or reuses, or repairs: a killed node rejoins) the cluster; resolves once all are Synced. */
export async function ensureCluster(): Promise<void> {
  await run('bash', [SCRIPT], { timeout: 240_000 });
}

/** kill -9 of node n (1-based), resolved once the process is gone. */
export async function killNode(n: number): Promise<void> {
  await run('bash', [SCRIPT, 'stop', String(n)], { timeout: 30_000 });
}

export async function onNode<T = Array<Record<string, unknown>>>(
  port: number,
  sql: string,
  params: unknown[] = [],
): Promise<T> {
  const c = await createConnection({ host: '127.0.0.1', port, user: 'root', password: '' });
  try {
    const [rows] = await c.query(sql, params);
    return rows as T;
  } finally {
    await c.end();
  }
}

export async function wsrepStatus(port: number): Promise<Record<string, string>> {
  const rows = await onNode<Array<{ Variable_name: string; Value: string }>>(
    port,
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_status','wsrep_local_state_comment','wsrep_ready','wsrep_last_committed','wsrep_cluster_size')",
  );
  return Object.fromEntries(rows.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
}

/** One suite run at a time on a machine: the node-kill test would cut another run's cluster. */
export async function takeLock(): Promise<ChildProcess> {
  const child = spawn('flock', ['-x', LOCK, '-c', 'echo locked; exec cat'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`flock exited ${code}`)));
  });
  return child;
}

/** Node n's error log from byte `from` (what a rejoin wrote). */
export function errorLog(n: number, from = 0): string {
  return readFileSync(join(GALERA_ROOT, `node${n}`, 'error.log'))
    .subarray(from)
    .toString();
}
export function errorLogSize(n: number): number {
  return statSync(join(GALERA_ROOT, `node${n}`, 'error.log')).size;
}

/** Every node has applied the same last write set (quiet cluster): then their tables must agree. */
export async function waitQuiet(): Promise<void> {
  await eventually(
    async () => {
      const seen = await Promise.all(
        GALERA_PORTS.map(async (p) => (await wsrepStatus(p)).wsrep_last_committed),
      );
      return new Set(seen).size === 1;
    },
    30_000,
    100,
  );
}

/** CHECKSUM TABLE of every table of `db`, per node. */
export async function checksums(db: string): Promise<Array<Record<string, string>>> {
  return Promise.all(
    GALERA_PORTS.map(async (port) => {
      const tables = await onNode<Array<{ t: string }>>(
        port,
        'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name',
        [db],
      );
      const list = tables.map((r) => `\`${db}\`.\`${r.t}\``).join(', ');
      const rows = await onNode<Array<{ Table: string; Checksum: string | number }>>(
        port,
        `CHECKSUM TABLE ${list}`,
      );
      return Object.fromEntries(rows.map((r) => [r.Table, String(r.Checksum)]));
    }),
  );
}

/** A 5xx is only ever 503 with Retry-After (a transient database state the client may retry). */
export function badServerAnswers(responses: Array<Pick<Response, 'status' | 'headers' | 'body'>>): string[] {
  return (
    responses
      // a 503 invites a retry with Retry-After; OUTCOME_UNKNOWN (a COMMIT sent to a node that died before
      // answering) is the one 503 without it, by design: the guard holds and a retry gets the first result
      .filter(
        (r) =>
          r.status >= 500 &&
          !(
            r.status === 503 &&
            (r.headers['retry-after'] || (r.body as { code?: string })?.code === 'OUTCOME_UNKNOWN')
          ),
      )
      .map((r) => `${r.status} ${JSON.stringify(r.body)}`)
  );
}
