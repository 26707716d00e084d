import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import Redis from 'ioredis';
import { mysqlAdmin, REDIS_URL } from './services';

/** Fails the run at once, with the fix, when MySQL/MariaDB or Redis is not there. */
export default async function globalSetup() {
  try {
    const c = await mysqlAdmin();
    await c.query('SELECT 1');
    await c.end();
  } catch (err) {
    throw new Error(
      `e2e tests need MySQL/MariaDB on 127.0.0.1:3306 (root, empty password): ${(err as Error).message}\n` +
        'Start it: mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld; ' +
        'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql ' +
        '(or: docker compose up -d mysql)',
    );
  }
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await r.connect();
    await r.ping();
  } catch (err) {
    throw new Error(
      `e2e tests need Redis on 127.0.0.1:6379: ${(err as Error).message}\n` +
        'Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no ' +
        '(or: docker compose up -d redis)',
    );
  } finally {
    r.disconnect();
  }
  // the six-node Redis Cluster of the cluster suites: reused when up, started (or repaired) when not
  try {
    execFileSync('bash', [join(__dirname, '..', '..', '.ci', 'redis-cluster.sh')], { stdio: 'pipe' });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(
      `e2e tests need a Redis Cluster on 127.0.0.1:7101-7106 (.ci/redis-cluster.sh): ${e.stderr?.toString() || e.message}`,
    );
  }
}
