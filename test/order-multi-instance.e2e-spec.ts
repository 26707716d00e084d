import { createProduct, eventually, newUserId, orderRow, stockOf } from './factories/order.factory';
import { createTestApp, TestApp } from './utils/test-app';

/** Two instances on one database and one Redis prefix, as behind a load balancer. */
describe('orders across two instances (real MySQL + Redis)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // a TTL far longer than the race: on a loaded machine the 40 requests took 18 s, longer than an 8 s TTL,
    // so an early order expired and gave its unit back before the last buyers were served (11 orders);
    // the expiry half forces expires_at into the past instead of waiting for a TTL
    const env = { ORDER_TTL_MS: '600000', ORDER_SWEEP_INTERVAL_MS: '200' };
    a = await createTestApp({ env });
    b = await createTestApp({ env, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('40 buyers spread over both instances race for 10 units: 10 orders, distinct numbers, stock 0', async () => {
    const p = await createProduct(a, { stock: 10 });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const t = i % 2 ? b : a;
        return t
          .http()
          .post('/v1/orders')
          .set('Authorization', t.bearer(newUserId('mi')))
          .send({ items: [{ productId: p.id, quantity: 1 }] });
      }),
    );
    const created = results.filter((r) => r.status === 201);
    expect(created).toHaveLength(10);
    expect(results.filter((r) => r.status === 409 && r.body.code === 'OUT_OF_STOCK')).toHaveLength(30);
    expect(new Set(created.map((r) => r.body.orderNo)).size).toBe(10);
    expect(await stockOf(a, p.id)).toBe(0);

    // both instances run the expiry sweep: once the orders are past expires_at, every order is
    // cancelled once, stock back to 10
    await a.dataSource.query(
      `UPDATE t_order SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE order_no IN (${created.map(() => '?').join(',')})`,
      created.map((r) => r.body.orderNo),
    );
    for (const r of created) {
      await eventually(async () => (await orderRow(a, r.body.orderNo))!.status === 'CANCELLED');
    }
    expect(await stockOf(a, p.id)).toBe(10);
    const versions = await a.dataSource.query(
      `SELECT MAX(version) AS v FROM t_order WHERE order_no IN (${created.map(() => '?').join(',')})`,
      created.map((r) => r.body.orderNo),
    );
    expect(Number(versions[0].v)).toBe(1);
  });

  it('the same body submitted to both instances at once makes one order', async () => {
    const p = await createProduct(a, { stock: 10 });
    const user = newUserId();
    const body = { items: [{ productId: p.id, quantity: 1 }] };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const t = i % 2 ? b : a;
        return t.http().post('/v1/orders').set('Authorization', t.bearer(user)).send(body);
      }),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.code === 'DUPLICATE_SUBMIT')).toHaveLength(19);
  });
});
