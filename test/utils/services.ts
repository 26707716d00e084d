import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';

export const MYSQL = {
  host: process.env.DB_HOST ?? '127.0.0.1',
  port: Number(process.env.DB_PORT ?? 3306),
  user: process.env.DB_USER ?? 'root',
  password: process.env.DB_PASSWORD ?? '',
};
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

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

/** Deletes every key under a prefix (tests never FLUSHALL: other runs may share the Redis). */
export async function deleteRedisPrefix(prefix: string) {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    for (const pattern of [`${prefix}*`, `{${prefix}bull}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await r.del(...keys);
      } while (cursor !== '0');
    }
  } catch {
    // Redis may be the thing a test took away
  } finally {
    r.disconnect();
  }
}
