import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';

export const MYSQL = {
  host: process.env.DB_HOST ?? '127.0.0.1',
  port: Number(process.env.DB_PORT ?? 3306),
  user: process.env.DB_USER ?? 'root',
  password: process.env.DB_PASSWORD ?? '',
};
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The six-node Redis Cluster of .ci/redis-cluster.sh (started by globalSetup when it is not up). */
export const REDIS_CLUSTER_PORTS = Array.from(
  { length: 6 },
  (_, i) => Number(process.env.REDIS_CLUSTER_BASE_PORT ?? 7101) + i,
);
export const REDIS_CLUSTER_NODES = REDIS_CLUSTER_PORTS.map((p) => `127.0.0.1:${p}`).join(',');

export async function mysqlAdmin() {
  return createConnection({ ...MYSQL, multipleStatements: false });
}

export async function dropDatabase(name: string) {
  const c = await mysqlAdmin();
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await c.end();
  }
}

/**
 * Deletes every key under a prefix (tests never FLUSHALL: other runs may share the Redis): the
 * app's `<prefix>…` keys and Bull's `{<prefix><queue>}…`. On a cluster, on every master.
 */
export async function deleteRedisPrefix(prefix: string, cluster = false) {
  const urls = cluster ? await clusterMasterUrls().catch(() => [] as string[]) : [REDIS_URL];
  await Promise.all(urls.map((url) => deleteOnNode(url, prefix)));
}

async function deleteOnNode(url: string, prefix: string) {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  r.on('error', () => undefined); // the node may be the thing a test took away
  try {
    await r.connect();
    for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        // one DEL per key: on a cluster node the keys of one page may sit in different slots
        for (const k of keys) await r.del(k);
      } while (cursor !== '0');
    }
  } catch {
    // Redis may be the thing a test took away
  } finally {
    r.disconnect();
  }
}

/** redis:// URLs of the cluster's current masters (asked from the first node that answers). */
export async function clusterMasterUrls(): Promise<string[]> {
  for (const port of REDIS_CLUSTER_PORTS) {
    const r = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      const nodes = String(await r.cluster('NODES'));
      return nodes
        .split('\n')
        .map((l) => l.split(' '))
        .filter(([, , flags]) => flags?.split(',').includes('master') && !flags.includes('fail'))
        .map(([, addr]) => `redis://${addr.split('@')[0]}`);
    } catch {
      // try the next node
    } finally {
      r.disconnect();
    }
  }
  throw new Error('no Redis Cluster node answers');
}
