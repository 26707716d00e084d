import { TransactionService } from '../src/common/database/transaction.service';
import { OrderService } from '../src/order/order.service';
import { countOrders, createProduct, newUserId, orderRow, stockOf } from './factories/order.factory';
import { createTestApp, TestApp } from './utils/test-app';

describe('order read, list and cancel (real MySQL + Redis)', () => {
  let t: TestApp;
  let orders: OrderService;

  beforeAll(async () => {
    t = await createTestApp();
    orders = t.app.get(OrderService);
  });
  afterAll(() => t.close());

  const as = (user: string) => ({ Authorization: t.bearer(user) });
  async function order(user: string, productId: number, quantity = 1, remark?: string) {
    const res = await t
      .http()
      .post('/v1/orders')
      .set(as(user))
      .send({ items: [{ productId, quantity }], ...(remark ? { remark } : {}) })
      .expect(201);
    return res.body as { orderNo: string; status: string };
  }

  describe('ownership', () => {
    let owner: string;
    let orderNo: string;
    let productId: number;
    beforeAll(async () => {
      owner = newUserId('owner');
      productId = (await createProduct(t, { stock: 10 })).id;
      orderNo = (await order(owner, productId, 2)).orderNo;
    });

    it("another user's order is 404 for read and for cancel, and stays as it was", async () => {
      const other = newUserId('other');
      const r = await t.http().get(`/v1/orders/${orderNo}`).set(as(other)).expect(404);
      expect(r.body.code).toBe('NOT_FOUND');
      const c = await t.http().post(`/v1/orders/${orderNo}/cancel`).set(as(other)).expect(404);
      expect(c.body.code).toBe('NOT_FOUND');
      expect((await orderRow(t, orderNo))!.status).toBe('CREATED');
      expect(await stockOf(t, productId)).toBe(8);
      const list = await t.http().get('/v1/orders').set(as(other)).expect(200);
      expect(list.body).toEqual({ items: [], nextCursor: null });
    });

    it('no token is 401 for read, list, cancel and account', async () => {
      for (const req of [
        t.http().get(`/v1/orders/${orderNo}`),
        t.http().get('/v1/orders'),
        t.http().post(`/v1/orders/${orderNo}/cancel`),
        t.http().get('/v1/account'),
        t.http().post('/v1/recharges').send({ amount: 1 }),
      ]) {
        const res = await req.expect(401);
        expect(res.body.code).toBe('UNAUTHORIZED');
      }
    });

    it('an unknown or malformed order number is 404', async () => {
      await t.http().get('/v1/orders/20990101000000000000000000000').set(as(owner)).expect(404);
      await t
        .http()
        .get(`/v1/orders/${'9'.repeat(40)}`)
        .set(as(owner))
        .expect(404);
      await t.http().get('/v1/orders/bad%27no').set(as(owner)).expect(404);
    });
  });

  describe('list', () => {
    it('pages newest first with an opaque cursor and filters by status', async () => {
      const user = newUserId('lister');
      const p = await createProduct(t, { stock: 100 });
      const made: string[] = [];
      // distinct remarks: identical bodies would be (rightly) refused by the submit guard
      for (let i = 0; i < 7; i++) made.push((await order(user, p.id, 1, `n${i}`)).orderNo);
      await t.http().post(`/v1/orders/${made[1]}/cancel`).set(as(user)).expect(200);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { body: { items: { orderNo: string }[]; nextCursor: string | null } } = await t
          .http()
          .get('/v1/orders')
          .query({ limit: 3, ...(cursor ? { cursor } : {}) })
          .set(as(user))
          .expect(200);
        expect(res.body.items.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.items.map((o: { orderNo: string }) => o.orderNo));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual([...made].reverse());

      const cancelled = await t
        .http()
        .get('/v1/orders')
        .query({ status: 'CANCELLED' })
        .set(as(user))
        .expect(200);
      expect(cancelled.body.items.map((o: { orderNo: string }) => o.orderNo)).toEqual([made[1]]);
      expect(cancelled.body.items[0].items).toHaveLength(1);
      const def = await t.http().get('/v1/orders').set(as(user)).expect(200);
      expect(def.body.items).toHaveLength(7);
      expect(def.body.nextCursor).toBeNull();
    });

    it.each([
      [{ limit: 0 }],
      [{ limit: 101 }],
      [{ limit: 'x' }],
      [{ status: 'LOST' }],
      [{ cursor: 'not-a-cursor' }],
      [{ cursor: 'a b' }],
      [{ other: 1 }],
    ])('bad query %j → 400 VALIDATION_FAILED', async (query) => {
      const res = await t
        .http()
        .get('/v1/orders')
        .query(query as Record<string, string>)
        .set(as(newUserId()))
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('cancel', () => {
    it('releases stock; cancelling again returns the cancelled order (200), stock released once', async () => {
      const user = newUserId();
      const p = await createProduct(t, { stock: 10 });
      const { orderNo } = await order(user, p.id, 4);
      expect(await stockOf(t, p.id)).toBe(6);
      const first = await t.http().post(`/v1/orders/${orderNo}/cancel`).set(as(user)).expect(200);
      expect(first.body).toMatchObject({ orderNo, status: 'CANCELLED', cancelledAt: expect.any(String) });
      expect(await stockOf(t, p.id)).toBe(10);
      const again = await t.http().post(`/v1/orders/${orderNo}/cancel`).set(as(user)).expect(200);
      expect(again.body).toEqual(first.body);
      expect(await stockOf(t, p.id)).toBe(10);
    });

    it('10 concurrent cancels: all 200, stock released exactly once', async () => {
      const user = newUserId();
      const p = await createProduct(t, { stock: 10 });
      const { orderNo } = await order(user, p.id, 3);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => t.http().post(`/v1/orders/${orderNo}/cancel`).set(as(user))),
      );
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(results.every((r) => r.body.status === 'CANCELLED')).toBe(true);
      expect(await stockOf(t, p.id)).toBe(10);
      expect((await orderRow(t, orderNo))!.version).toBe(1);
    });

    it('PAYING and PAID orders are 409 ORDER_NOT_CANCELLABLE and keep their stock', async () => {
      const user = newUserId();
      const p = await createProduct(t, { stock: 10 });
      const paying = (await order(user, p.id, 1, 'a')).orderNo;
      const paid = (await order(user, p.id, 1, 'b')).orderNo;
      expect(await orders.markPaying(null, paying)).toBe(true);
      expect(
        await t.app
          .get(TransactionService)
          .run((m) =>
            orders.applyPaid(m, { orderNo: paid, paymentNo: `${paid}P01`, amount: 1000, channel: 'alipay' }),
          ),
      ).toBe('PAID');
      for (const [no, status] of [
        [paying, 'PAYING'],
        [paid, 'PAID'],
      ]) {
        const res = await t.http().post(`/v1/orders/${no}/cancel`).set(as(user)).expect(409);
        expect(res.body).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE', details: { orderNo: no, status } });
        expect((await orderRow(t, no))!.status).toBe(status);
      }
      expect(await stockOf(t, p.id)).toBe(8);
    });

    it('a cancel racing with markPaying: exactly one wins, stock stays consistent', async () => {
      const user = newUserId();
      const p = await createProduct(t, { stock: 10 });
      const { orderNo } = await order(user, p.id, 5);
      const [cancel, paying] = await Promise.all([
        t.http().post(`/v1/orders/${orderNo}/cancel`).set(as(user)),
        orders.markPaying(null, orderNo),
      ]);
      const row = (await orderRow(t, orderNo))!;
      if (paying) {
        expect(cancel.status).toBe(409);
        expect(row.status).toBe('PAYING');
        expect(await stockOf(t, p.id)).toBe(5);
      } else {
        expect(cancel.status).toBe(200);
        expect(row.status).toBe('CANCELLED');
        expect(await stockOf(t, p.id)).toBe(10);
      }
      expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
    });
  });

  it('GET /v1/account shows an empty wallet and writes nothing (the row comes with the first credit)', async () => {
    const user = newUserId();
    const res = await t.http().get('/v1/account').set(as(user)).expect(200);
    expect(res.body).toEqual({ balance: 0, currency: 'CNY' });
    const again = await Promise.all(
      Array.from({ length: 5 }, () => t.http().get('/v1/account').set(as(user))),
    );
    expect(again.map((r) => r.body)).toEqual(Array(5).fill({ balance: 0, currency: 'CNY' }));
    const rows = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_user_account WHERE user_id = ?', [
      user,
    ]);
    expect(Number(rows[0].n)).toBe(0);
  });
});
