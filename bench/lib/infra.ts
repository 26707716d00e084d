import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import Redis from 'ioredis';
import { Connection, createConnection } from 'mysql2/promise';

/** Where the shared MariaDB/MySQL and Redis are (the same defaults as the app and the tests). */
export const MYSQL = {
  host: process.env.DB_HOST ?? '127.0.0.1',
  port: Number(process.env.DB_PORT ?? 3306),
  user: process.env.DB_USER ?? 'root',
  password: process.env.DB_PASSWORD ?? '',
};
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const rand = (n = 5) => randomBytes(n).toString('hex');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** An admin connection (no database selected unless given). */
export async function mysqlConn(database?: string, port = MYSQL.port): Promise<Connection> {
  return createConnection({ ...MYSQL, port, database, supportBigNumbers: true, bigNumberStrings: false });
}

export async function dropDatabase(name: string, port = MYSQL.port): Promise<void> {
  const c = await mysqlConn(undefined, port);
  try {
    await c.query(`DROP DATABASE IF EXISTS \`${name.replace(/`/g, '')}\``);
  } finally {
    await c.end();
  }
}

/** The server-wide statement counter (SHOW GLOBAL STATUS LIKE 'Questions'). */
export async function questions(c: Connection): Promise<number> {
  const [rows] = await c.query("SHOW GLOBAL STATUS LIKE 'Questions'");
  return Number((rows as Array<{ Value: string }>)[0].Value);
}

/** Deletes every key of a prefix (app keys and Bull's hash-tagged keys). Never FLUSHALL. */
export async function deleteRedisPrefix(prefix: string, url = REDIS_URL): Promise<number> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000 });
  r.on('error', () => undefined);
  let n = 0;
  try {
    await r.connect();
    for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length) n += await r.del(...keys);
      } while (cursor !== '0');
    }
  } catch {
    // Redis may be the thing a chaos step took away
  } finally {
    r.disconnect();
  }
  return n;
}

export async function machineInfo(): Promise<string> {
  const os = await import('node:os');
  let db = '?';
  try {
    const c = await mysqlConn();
    const [rows] = await c.query('SELECT VERSION() AS v');
    db = (rows as Array<{ v: string }>)[0].v;
    await c.end();
  } catch {
    // reported as '?'
  }
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${os.cpus().length} CPU (${os.cpus()[0]?.model?.trim() ?? '?'}), ${gib} GiB RAM, Node ${process.version}, MariaDB/MySQL ${db}, ${os.platform()} ${os.release()}`;
}
