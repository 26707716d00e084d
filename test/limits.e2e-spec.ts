import { countOrders, createProduct, newUserId, stockOf } from './factories/order.factory';
import { createTestApp, TestApp } from './utils/test-app';

/** Issue 10: rate limits shared through Redis, and caps on what one order and one user may hold. */
describe('rate limits (real MySQL + Redis, two instances)', () => {
  let a: TestApp;
  let b: TestApp;
  const env = {
    RATE_LIMIT_ENABLED: 'true',
    RATE_LIMIT_WINDOW_MS: '60000',
    RATE_LIMIT_TOKENS: '5',
    RATE_LIMIT_DEV_TOKENS: '4',
    RATE_LIMIT_SUBMIT: '3',
  };
  beforeAll(async () => {
    a = await createTestApp({ env });
    b = await createTestApp({ env, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('token issue: per user, counted across both instances; 429 RATE_LIMITED with Retry-After', async () => {
    const user = newUserId('rl');
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        (i % 2 ? b : a).http().post('/v1/idempotency-tokens').set('Authorization', a.bearer(user)),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(3);
    expect(limited[0].body).toMatchObject({
      statusCode: 429,
      code: 'RATE_LIMITED',
      requestId: expect.any(String),
    });
    expect(Number(limited[0].headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // another user is not affected
    await b
      .http()
      .post('/v1/idempotency-tokens')
      .set('Authorization', b.bearer(newUserId('rl')))
      .expect(201);
  });

  it('order submit: a limited request writes nothing', async () => {
    const p = await createProduct(a, { stock: 50 });
    const user = newUserId('rs');
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const res = await a
        .http()
        .post('/v1/orders')
        .set('Authorization', a.bearer(user))
        .send({ items: [{ productId: p.id, quantity: i }] });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect(await countOrders(a, 'user_id = ?', [user])).toBe(3);
    expect(await stockOf(a, p.id)).toBe(50 - 6);
  });

  it('dev tokens: per client address', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      codes.push(
        (
          await a
            .http()
            .post('/v1/dev/tokens')
            .send({ userId: `d-${i}`, role: 'user' })
        ).status,
      );
    }
    expect(codes).toEqual([201, 201, 201, 201, 429, 429]);
  });
});

describe('rate limits fail open when Redis is down (real MySQL, dead Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_DEV_TOKENS: '1',
        REDIS_URL: 'redis://127.0.0.1:6390',
        REDIS_COMMAND_TIMEOUT_MS: '300',
      },
    });
  });
  afterAll(() => t.close());

  it('the limiter lets requests through and counts the store errors', async () => {
    for (let i = 0; i < 3; i++) {
      await t.http().post('/v1/dev/tokens').send({ userId: 'fo-1', role: 'user' }).expect(201);
    }
    const metrics = await t.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/oncepay_rate_limit_store_errors_total \d+/);
    expect(
      Number(/oncepay_rate_limit_store_errors_total (\d+)/.exec(metrics.text)![1]),
    ).toBeGreaterThanOrEqual(3);
  });
});

describe('order caps (real MySQL + Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ORDER_MAX_UNPAID: '3', ORDER_MAX_TOTAL: '100000' } });
  });
  afterAll(() => t.close());

  const submit = (user: string, body: object, key?: string) => {
    const r = t.http().post('/v1/orders').set('Authorization', t.bearer(user));
    if (key) r.set('Idempotency-Key', key);
    return r.send(body);
  };

  it('lines are merged before the quantity cap: 50 × 999 of one product is refused, stock untouched', async () => {
    const p = await createProduct(t, { stock: 100000, price: 1 });
    const user = newUserId('cq');
    const res = await submit(user, {
      items: Array.from({ length: 50 }, () => ({ productId: p.id, quantity: 999 })),
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { productId: p.id, quantity: 49950, max: 999 },
    });
    expect(await stockOf(t, p.id)).toBe(100000);
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(0);
    await submit(user, {
      items: [
        { productId: p.id, quantity: 500 },
        { productId: p.id, quantity: 499 },
      ],
    }).expect(201);
  });

  it('an order total above ORDER_MAX_TOTAL is refused (goods and recharge)', async () => {
    const p = await createProduct(t, { stock: 100, price: 60000 });
    const user = newUserId('ct');
    const res = await submit(user, { items: [{ productId: p.id, quantity: 2 }] });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'ORDER_TOTAL_TOO_LARGE',
      details: { totalAmount: 120000, max: 100000 },
    });
    expect(await stockOf(t, p.id)).toBe(100);
    const rc = await t
      .http()
      .post('/v1/recharges')
      .set('Authorization', t.bearer(user))
      .send({ amount: 100001 });
    expect(rc.status).toBe(422);
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(0);
  });

  it('a user holds at most ORDER_MAX_UNPAID unpaid orders, even with 10 concurrent submits', async () => {
    const p = await createProduct(t, { stock: 100, price: 100 });
    const user = newUserId('cu');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => submit(user, { items: [{ productId: p.id, quantity: i + 1 }] })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.status === 409);
    expect(refused).toHaveLength(7);
    expect(refused.every((r) => r.body.code === 'TOO_MANY_UNPAID_ORDERS')).toBe(true);
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(3);
    const taken = results.filter((r) => r.status === 201).reduce((s, r) => s + r.body.items[0].quantity, 0);
    expect(await stockOf(t, p.id)).toBe(100 - taken);
    // cancelling one frees a slot
    const first = results.find((r) => r.status === 201)!;
    await t
      .http()
      .post(`/v1/orders/${first.body.orderNo}/cancel`)
      .set('Authorization', t.bearer(user))
      .expect(200);
    await submit(user, { items: [{ productId: p.id, quantity: 11 }] }).expect(201);
  });
});
