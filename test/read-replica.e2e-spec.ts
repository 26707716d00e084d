import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { createProduct, eventually, newUserId } from './factories/order.factory';
import { orderStatus, prepay, sandboxPay } from './payment-helpers';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * A real MariaDB replica (.ci/mariadb-replica.sh: a primary with a binlog on 3307, its replica on
 * 3308, GTID replication). The app runs with DB_REPLICA_HOSTS. With replication paused (STOP SLAVE)
 * the reads that may be stale (order list, catalog list) show the past, and everything else, which
 * reads the primary, works: submit → pre-pay → pay → PAID. A file lock keeps two test runs on one
 * machine from pausing the same replica at once.
 */
const PRIMARY = 3307;
const REPLICA = 3308;
const SCRIPT = join(__dirname, '..', '.ci', 'mariadb-replica.sh');
const LOCK = '/tmp/oncepay-mariadb-replica.test.lock';

async function onServer<T>(port: number, sql: string, params: unknown[] = []): Promise<T> {
  const c = await createConnection({ host: '127.0.0.1', port, user: 'root', password: '' });
  try {
    const [rows] = await c.query(sql, params);
    return rows as T;
  } finally {
    await c.end();
  }
}

async function takeLock(): Promise<ChildProcess> {
  const child = spawn('flock', ['-x', LOCK, '-c', 'echo locked; exec cat'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`flock exited ${code}`)));
  });
  return child;
}

describe('MySQL read replica (DB_REPLICA_HOSTS)', () => {
  let lock: ChildProcess;
  let t: TestApp;

  beforeAll(async () => {
    lock = await takeLock();
    execFileSync('bash', [SCRIPT], { stdio: 'pipe' });
    t = await createTestApp({
      keepDb: true, // it lives on the primary of the pair, dropped below
      env: {
        DB_PORT: String(PRIMARY),
        DB_REPLICA_HOSTS: `127.0.0.1:${REPLICA}`,
        PAYMENT_QUERY_DELAYS_MS: '300,600,900',
        SANDBOX_TIME_SCALE: '0.001',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await onServer(REPLICA, 'START SLAVE').catch(() => undefined);
    await t?.close();
    if (t) await onServer(PRIMARY, `DROP DATABASE IF EXISTS \`${t.dbName}\``);
    lock?.stdin?.end();
  });

  const replicaHas = async (sql: string, params: unknown[]) =>
    (await onServer<unknown[]>(REPLICA, sql, params).catch(() => [])).length > 0;

  it('with replication paused: the order and catalog lists are stale, submit → pre-pay → pay → PAID works', async () => {
    const admin = t.bearer('admin-r', 'admin');
    const old = await createProduct(t, { price: 700, stock: 10 });
    const user = newUserId('rr');
    const first = await t
      .http()
      .post('/v1/orders')
      .set('Authorization', t.bearer(user))
      .send({ items: [{ productId: old.id, quantity: 1 }] })
      .expect(201);
    // the replica has caught up with both (replication is running)
    await eventually(() =>
      replicaHas(`SELECT 1 FROM \`${t.dbName}\`.t_order WHERE order_no = ?`, [first.body.orderNo]),
    );
    const listed = await t.http().get('/v1/orders').set('Authorization', t.bearer(user)).expect(200);
    expect(listed.body.items.map((o: { orderNo: string }) => o.orderNo)).toEqual([first.body.orderNo]);

    await onServer(REPLICA, 'STOP SLAVE');
    try {
      // a product made now exists on the primary only: the catalog list does not show it yet,
      // but a submit (which reads prices and stock on the primary) can buy it
      const fresh = await createProduct(t, { price: 1234, stock: 5 });
      const catalog = await t.http().get('/v1/products').set('Authorization', admin).expect(200);
      const ids = (catalog.body.items ?? catalog.body).map((p: { id: number }) => p.id);
      expect(ids).toContain(old.id);
      expect(ids).not.toContain(fresh.id);

      const order = await t
        .http()
        .post('/v1/orders')
        .set('Authorization', t.bearer(user))
        .send({ items: [{ productId: fresh.id, quantity: 1 }] })
        .expect(201);
      const orderNo = order.body.orderNo as string;
      const pay = await prepay(t, user, orderNo).expect(201);
      await sandboxPay(t, pay.body.paymentNo, { notify: { mode: 'normal' } }).expect(200);
      await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 20000);

      // the detail and the wallet read the primary
      const detail = await t
        .http()
        .get(`/v1/orders/${orderNo}`)
        .set('Authorization', t.bearer(user))
        .expect(200);
      expect(detail.body.status).toBe('PAID');
      await t.http().get('/v1/account').set('Authorization', t.bearer(user)).expect(200);

      // the list is the replica's: the new order is not there yet — the only effect of the pause
      const stale = await t.http().get('/v1/orders').set('Authorization', t.bearer(user)).expect(200);
      expect(stale.body.items.map((o: { orderNo: string }) => o.orderNo)).toEqual([first.body.orderNo]);
      expect(await replicaHas(`SELECT 1 FROM \`${t.dbName}\`.t_order WHERE order_no = ?`, [orderNo])).toBe(
        false,
      );
    } finally {
      await onServer(REPLICA, 'START SLAVE');
    }

    // replication resumed: the list catches up, PAID included
    await eventually(async () => {
      const res = await t.http().get('/v1/orders').set('Authorization', t.bearer(user)).expect(200);
      return res.body.items.length === 2 && res.body.items[0].status === 'PAID';
    }, 20000);
  });
});
