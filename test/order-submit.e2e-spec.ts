import { countOrders, createProduct, newUserId, orderRow, stockOf } from './factories/order.factory';
import { deleteRedisPrefix, mysqlAdmin } from './utils/services';
import { createTestApp, TestApp } from './utils/test-app';

describe('order submit (real MySQL + Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const post = (user: string, body: unknown) =>
    t
      .http()
      .post('/v1/orders')
      .set('Authorization', t.bearer(user))
      .send(body as object);

  it('creates an order with catalog prices, merged lines and the documented JSON', async () => {
    const a = await createProduct(t, { price: 1500, stock: 10 });
    const b = await createProduct(t, { price: 250, stock: 10 });
    const user = newUserId();
    const res = await post(user, {
      items: [
        { productId: b.id, quantity: 1 },
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 3 },
      ],
      remark: 'ring twice',
    }).expect(201);
    expect(res.body).toEqual({
      orderNo: expect.stringMatching(/^[0-9]{29}$/),
      type: 'GOODS',
      status: 'CREATED',
      items: [
        { productId: a.id, sku: a.sku, name: a.name, quantity: 2, unitPrice: 1500 },
        { productId: b.id, sku: b.sku, name: b.name, quantity: 4, unitPrice: 250 },
      ],
      totalAmount: 2 * 1500 + 4 * 250,
      currency: 'CNY',
      remark: 'ring twice',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(900000);
    expect(await stockOf(t, a.id)).toBe(8);
    expect(await stockOf(t, b.id)).toBe(6);
    const read = await t
      .http()
      .get(`/v1/orders/${res.body.orderNo}`)
      .set('Authorization', t.bearer(user))
      .expect(200);
    expect(read.body).toEqual(res.body);
    const row = await orderRow(t, res.body.orderNo);
    expect(row).toMatchObject({ user_id: user, status: 'CREATED', idempotency_key: null });
    expect(row!.request_fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('50 identical concurrent submits → 1 order, 49 × 409 DUPLICATE_SUBMIT, stock taken once', async () => {
    const p = await createProduct(t, { stock: 100 });
    const user = newUserId();
    const body = { items: [{ productId: p.id, quantity: 3 }] };
    const results = await Promise.all(Array.from({ length: 50 }, () => post(user, body)));
    const created = results.filter((r) => r.status === 201);
    const dups = results.filter((r) => r.status === 409 && r.body.code === 'DUPLICATE_SUBMIT');
    expect(created).toHaveLength(1);
    expect(dups).toHaveLength(49);
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
    expect(await stockOf(t, p.id)).toBe(97);
    // once the first finished, a duplicate names the first order
    const late = await post(user, body).expect(409);
    expect(late.body.details).toEqual({ orderNo: created[0].body.orderNo });
  });

  it('30 buyers racing for 10 units → exactly 10 orders, 20 × OUT_OF_STOCK, stock 0', async () => {
    const p = await createProduct(t, { stock: 10 });
    const users = Array.from({ length: 30 }, () => newUserId('buyer'));
    const results = await Promise.all(
      users.map((u) => post(u, { items: [{ productId: p.id, quantity: 1 }] })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    const out = results.filter((r) => r.status === 409 && r.body.code === 'OUT_OF_STOCK');
    expect(out).toHaveLength(20);
    expect(out[0].body.details).toMatchObject({ productId: p.id });
    expect(await stockOf(t, p.id)).toBe(0);
    const orders = await t.dataSource.query(
      'SELECT COALESCE(SUM(i.quantity), 0) AS q FROM t_order_item i WHERE i.product_id = ?',
      [p.id],
    );
    expect(Number(orders[0].q)).toBe(10);
  });

  it('short stock on the second product rolls the whole order back', async () => {
    const a = await createProduct(t, { stock: 5 });
    const b = await createProduct(t, { stock: 1 });
    const user = newUserId();
    const res = await post(user, {
      items: [
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 2 },
      ],
    }).expect(409);
    expect(res.body).toMatchObject({ code: 'OUT_OF_STOCK', details: { productId: b.id, requested: 2 } });
    expect(await stockOf(t, a.id)).toBe(5);
    expect(await stockOf(t, b.id)).toBe(1);
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(0);
    // the failed submit released its guard key: a corrected retry goes through
    await post(user, { items: [{ productId: a.id, quantity: 2 }] }).expect(201);
  });

  it('an unknown product is 404 NOT_FOUND naming it, nothing changes', async () => {
    const a = await createProduct(t, { stock: 5 });
    const user = newUserId();
    const res = await post(user, {
      items: [
        { productId: a.id, quantity: 1 },
        { productId: 987654321, quantity: 1 },
      ],
    }).expect(404);
    expect(res.body).toMatchObject({ code: 'NOT_FOUND', details: { productId: 987654321 } });
    expect(await stockOf(t, a.id)).toBe(5);
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(0);
  });

  describe('Idempotency-Key', () => {
    it('same key + body replays (same status and body, Idempotent-Replayed), other body → 422', async () => {
      const p = await createProduct(t, { stock: 10 });
      const user = newUserId();
      const body = { items: [{ productId: p.id, quantity: 1 }] };
      const first = await post(user, body).set('Idempotency-Key', 'key-1').expect(201);
      expect(first.headers['idempotency-key-expires']).toBeDefined();
      const again = await post(user, body).set('Idempotency-Key', 'key-1').expect(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      const other = await post(user, { items: [{ productId: p.id, quantity: 2 }] })
        .set('Idempotency-Key', 'key-1')
        .expect(422);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
      expect(await stockOf(t, p.id)).toBe(9);
      expect((await orderRow(t, first.body.orderNo))!.idempotency_key).toBe('key-1');
    });

    it('10 concurrent requests with one key → one order', async () => {
      const p = await createProduct(t, { stock: 10 });
      const user = newUserId();
      const body = { items: [{ productId: p.id, quantity: 1 }] };
      const results = await Promise.all(
        Array.from({ length: 10 }, () => post(user, body).set('Idempotency-Key', 'key-conc')),
      );
      for (const r of results) {
        expect([201, 409]).toContain(r.status);
        if (r.status === 409) expect(r.body.code).toBe('REQUEST_IN_PROGRESS');
      }
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
      expect(await stockOf(t, p.id)).toBe(9);
    });

    it('the order row is the backstop when Redis forgot the key: replay, or 422 for another body', async () => {
      const p = await createProduct(t, { stock: 10 });
      const user = newUserId();
      const body = { items: [{ productId: p.id, quantity: 2 }] };
      const first = await post(user, body).set('Idempotency-Key', 'key-lost').expect(201);
      await deleteRedisPrefix(t.redisPrefix);
      const retry = await post(user, body).set('Idempotency-Key', 'key-lost').expect(201);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.body).toEqual(first.body);
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
      expect(await stockOf(t, p.id)).toBe(8);

      await deleteRedisPrefix(t.redisPrefix);
      const other = await post(user, { items: [{ productId: p.id, quantity: 1 }] })
        .set('Idempotency-Key', 'key-lost')
        .expect(422);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
      expect(await stockOf(t, p.id)).toBe(8);
    });

    it('a key is per user: another user with the same key gets an order of their own', async () => {
      const p = await createProduct(t, { stock: 10 });
      const body = { items: [{ productId: p.id, quantity: 1 }] };
      const a = await post(newUserId(), body).set('Idempotency-Key', 'shared-key').expect(201);
      const b = await post(newUserId(), body).set('Idempotency-Key', 'shared-key').expect(201);
      expect(b.body.orderNo).not.toBe(a.body.orderNo);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
    });
  });

  describe('malformed bodies → 4xx with a code, no order, no stock change', () => {
    let productId: number;
    const user = newUserId('mal');
    beforeAll(async () => {
      productId = (await createProduct(t, { stock: 50 })).id;
    });
    const line = (over: Record<string, unknown> = {}) => ({ productId, quantity: 1, ...over });

    const cases: Array<[string, () => unknown]> = [
      ['no items', () => ({})],
      ['empty items', () => ({ items: [] })],
      ['items not an array', () => ({ items: 'lots' })],
      ['51 lines', () => ({ items: Array.from({ length: 51 }, () => line()) })],
      ['quantity 0', () => ({ items: [line({ quantity: 0 })] })],
      ['negative quantity', () => ({ items: [line({ quantity: -3 })] })],
      ['fractional quantity', () => ({ items: [line({ quantity: 1.5 })] })],
      ['huge quantity', () => ({ items: [line({ quantity: 1e12 })] })],
      ['quantity 1000', () => ({ items: [line({ quantity: 1000 })] })],
      ['quantity as string', () => ({ items: [line({ quantity: '2' })] })],
      ['productId as string', () => ({ items: [line({ productId: String(productId) })] })],
      ['productId 0', () => ({ items: [line({ productId: 0 })] })],
      ['totalAmount sent', () => ({ items: [line()], totalAmount: 1 })],
      ['unitPrice in a line', () => ({ items: [line({ unitPrice: 1 })] })],
      ['remark too long', () => ({ items: [line()], remark: 'x'.repeat(201) })],
      ['remark not a string', () => ({ items: [line()], remark: 12 })],
      ['a line that is not an object', () => ({ items: [42] })],
      ['body is an array', () => [line()]],
    ];

    it.each(cases)('%s → 400 VALIDATION_FAILED', async (_name, body) => {
      const res = await post(user, body());
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(0);
      expect(await stockOf(t, productId)).toBe(50);
    });

    it('broken JSON → 400 VALIDATION_FAILED', async () => {
      const res = await t
        .http()
        .post('/v1/orders')
        .set('Authorization', t.bearer(user))
        .set('Content-Type', 'application/json')
        .send('{"items":[{"productId":1,"quantity":')
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(0);
    });

    it('5,000 lines → 4xx with a code (too large or too many)', async () => {
      const res = await post(user, { items: Array.from({ length: 5000 }, () => line()) });
      expect([400, 413]).toContain(res.status);
      expect(['VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE']).toContain(res.body.code);
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(0);
      expect(await stockOf(t, productId)).toBe(50);
    });

    it('no token → 401', async () => {
      const res = await t
        .http()
        .post('/v1/orders')
        .send({ items: [line()] })
        .expect(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
      expect(await stockOf(t, productId)).toBe(50);
    });

    it('after all the bad requests, the same user can still order', async () => {
      await post(user, { items: [line()] }).expect(201);
      expect(await stockOf(t, productId)).toBe(49);
    });
  });

  describe('recharge', () => {
    const rpost = (user: string, body: unknown) =>
      t
        .http()
        .post('/v1/recharges')
        .set('Authorization', t.bearer(user))
        .send(body as object);

    it('creates a RECHARGE order without items; a double submit is 409 DUPLICATE_SUBMIT', async () => {
      const user = newUserId();
      const results = await Promise.all(Array.from({ length: 10 }, () => rpost(user, { amount: 5000 })));
      const created = results.filter((r) => r.status === 201);
      expect(created).toHaveLength(1);
      expect(results.filter((r) => r.status === 409 && r.body.code === 'DUPLICATE_SUBMIT')).toHaveLength(9);
      expect(created[0].body).toMatchObject({
        type: 'RECHARGE',
        status: 'CREATED',
        items: [],
        totalAmount: 5000,
        currency: 'CNY',
      });
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
    });

    it.each([[0], [-1], [1.5], [5_000_001], ['100'], [null]])('amount %p → 400', async (amount) => {
      const user = newUserId();
      const res = await rpost(user, { amount }).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(0);
    });

    it('Idempotency-Key works on recharges too, and a key used on an order is 422 here', async () => {
      const user = newUserId();
      const a = await rpost(user, { amount: 100 }).set('Idempotency-Key', 'r-1').expect(201);
      const b = await rpost(user, { amount: 100 }).set('Idempotency-Key', 'r-1').expect(201);
      expect(b.body).toEqual(a.body);
      expect(b.headers['idempotent-replayed']).toBe('true');
      await deleteRedisPrefix(t.redisPrefix);
      // same key, other scope: the row's fingerprint differs → reuse
      const p = await createProduct(t, { stock: 1 });
      const c = await post(user, { items: [{ productId: p.id, quantity: 1 }] })
        .set('Idempotency-Key', 'r-1')
        .expect(422);
      expect(c.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await stockOf(t, p.id)).toBe(1);
    });
  });
});

describe('order submit with a small connection pool (real MySQL + Redis)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { DB_POOL_SIZE: '2' } });
  });
  afterAll(() => t.close());

  // A submit transaction once took a second pool connection (for the wallet row) while holding its
  // own: with as many concurrent first submits as pool connections, every transaction waited for a
  // connection held by another, and every submit hung forever.
  it('4× DB_POOL_SIZE concurrent first submits of new users all complete (no pool self-deadlock)', async () => {
    const p = await createProduct(t, { price: 100, stock: 100 });
    const users = Array.from({ length: 8 }, () => newUserId());
    const res = await Promise.all(
      users.map((u) =>
        t
          .http()
          .post('/v1/orders')
          .set('Authorization', t.bearer(u))
          .send({ items: [{ productId: p.id, quantity: 1 }] })
          .timeout(20000),
      ),
    );
    expect(res.map((r) => r.status)).toEqual(users.map(() => 201));
    expect(await stockOf(t, p.id)).toBe(92);
    for (const u of users) expect(await countOrders(t, 'user_id = ?', [u])).toBe(1);
  });

  // ensureUserRow remembers the users whose wallet row exists; a row that vanishes under a running
  // instance (a restore, a manual delete) must not break that user's next submit.
  it('a wallet row deleted under a running instance is made again by the next submit', async () => {
    const p = await createProduct(t, { price: 100, stock: 10 });
    const user = newUserId();
    // two different bodies, so the duplicate-submit guard lets both through
    const submit = (remark: string) =>
      t
        .http()
        .post('/v1/orders')
        .set('Authorization', t.bearer(user))
        .send({ items: [{ productId: p.id, quantity: 1 }], remark });
    expect((await submit('first')).status).toBe(201);
    await t.dataSource.query('DELETE FROM t_user_account WHERE user_id = ?', [user]);
    expect((await submit('second')).status).toBe(201);
    const rows = await t.dataSource.query('SELECT balance FROM t_user_account WHERE user_id = ?', [user]);
    expect(rows.map((r: { balance: unknown }) => Number(r.balance))).toEqual([0]);
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(2);
    expect(await stockOf(t, p.id)).toBe(8);
  });

  // A MySQL connection that dies under a request (killed, server restart, network) is a transient
  // failure: 503 with Retry-After, nothing half-done, and the client's retry goes through.
  it('the connection killed under a submit → 503 SERVICE_UNAVAILABLE + Retry-After, nothing created, the retry succeeds', async () => {
    const p = await createProduct(t, { price: 100, stock: 10 });
    const user = newUserId();
    const submit = () =>
      t
        .http()
        .post('/v1/orders')
        .set('Authorization', t.bearer(user))
        .send({ items: [{ productId: p.id, quantity: 1 }], remark: 'killed' });
    await t.dataSource.query(
      "INSERT IGNORE INTO t_user_account (user_id, balance, currency, version) VALUES (?, 0, 'CNY', 0)",
      [user],
    );
    // hold the user's wallet row, so the submit's statement on it waits where we can see it
    const holder = await mysqlAdmin();
    const killer = await mysqlAdmin();
    try {
      await holder.query(`USE \`${t.dbName}\``);
      await holder.query('START TRANSACTION');
      await holder.query('SELECT user_id FROM t_user_account WHERE user_id = ? FOR UPDATE', [user]);
      const pending = submit().then((r) => r);
      let waiting: Array<{ ID: number }> = [];
      for (let i = 0; i < 200 && !waiting.length; i++) {
        [waiting] = (await killer.query(
          "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND COMMAND = 'Query' AND INFO LIKE '%t_user_account%'",
          [t.dbName],
        )) as unknown as [Array<{ ID: number }>];
        if (!waiting.length) await new Promise((r) => setTimeout(r, 50));
      }
      expect(waiting).toHaveLength(1);
      await killer.query(`KILL CONNECTION ${waiting[0].ID}`);
      const res = await pending;
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        details: { reason: 'DATABASE_UNAVAILABLE' },
      });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await killer.end();
    }
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(0);
    expect(await stockOf(t, p.id)).toBe(10);
    // the guard was released with the failure: the same body goes through now
    let retry = await submit();
    for (let i = 0; i < 3 && retry.status === 503; i++) retry = await submit(); // the pool may hand out the dead one once
    expect(retry.status).toBe(201);
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
  });
});
