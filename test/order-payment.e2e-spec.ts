import type { PaymentSucceededEvent } from '../src/common/events/payment-events';
import { TransactionService } from '../src/common/database/transaction.service';
import { OrderService } from '../src/order/order.service';
import { WalletService } from '../src/order/wallet.service';
import { createProduct, newUserId, orderRow, stockOf } from './factories/order.factory';
import { createTestApp, TestApp } from './utils/test-app';

/** The OrderService methods the payment and callback modules call, driven directly. */
describe('order ↔ payment interface (real MySQL + Redis)', () => {
  let t: TestApp;
  let orders: OrderService;
  let wallet: WalletService;
  let tx: TransactionService;

  beforeAll(async () => {
    t = await createTestApp();
    orders = t.app.get(OrderService);
    wallet = t.app.get(WalletService);
    tx = t.app.get(TransactionService);
  });
  afterAll(() => t.close());

  async function recharge(user: string, amount: number) {
    const res = await t
      .http()
      .post('/v1/recharges')
      .set('Authorization', t.bearer(user))
      .send({ amount })
      .expect(201);
    return res.body.orderNo as string;
  }
  async function goods(user: string, productId: number, quantity: number) {
    const res = await t
      .http()
      .post('/v1/orders')
      .set('Authorization', t.bearer(user))
      .send({ items: [{ productId, quantity }] })
      .expect(201);
    return res.body.orderNo as string;
  }
  const event = (orderNo: string, userId: string, amount: number): PaymentSucceededEvent => ({
    paymentNo: `${orderNo}P1`,
    orderNo,
    userId,
    channel: 'alipay',
    amount,
    channelTradeNo: `2026112322001${orderNo.slice(-8)}`,
    paidAt: new Date().toISOString(),
  });
  const markers = async (orderNo: string) =>
    Number(
      (
        await t.dataSource.query(
          "SELECT COUNT(*) AS n FROM t_uq_dipose WHERE ref_type = 'ORDER_PAID' AND ref_id = ?",
          [orderNo],
        )
      )[0].n,
    );
  const balance = async (user: string) => (await wallet.getAccount(user)).balance;

  describe('applyPaymentSucceeded', () => {
    it('10 concurrent calls on a PAYING recharge: one PAID transition, credited once, one ORDER_PAID row', async () => {
      const user = newUserId();
      const orderNo = await recharge(user, 12345);
      expect(await orders.markPaying(null, orderNo)).toBe(true);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => orders.applyPaymentSucceeded(event(orderNo, user, 12345))),
      );
      const outcomes = results.map((r) => r.outcome).sort();
      expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(9);
      const row = (await orderRow(t, orderNo))!;
      expect(row.status).toBe('PAID');
      expect(row.paid_at).not.toBeNull();
      expect(row.version).toBe(2); // CREATED→PAYING, PAYING→PAID: nothing else
      expect(await balance(user)).toBe(12345);
      expect(await markers(orderNo)).toBe(1);
      // and later re-deliveries stay duplicates
      expect(await orders.applyPaymentSucceeded(event(orderNo, user, 12345))).toEqual({
        outcome: 'duplicate',
      });
      expect(await balance(user)).toBe(12345);
      const read = await t
        .http()
        .get(`/v1/orders/${orderNo}`)
        .set('Authorization', t.bearer(user))
        .expect(200);
      expect(read.body).toMatchObject({ status: 'PAID', paidAt: expect.any(String) });
      const metrics = await t.http().get('/metrics').expect(200);
      expect(metrics.text).toMatch(/oncepay_order_events_total\{event="paid"\} 1\b/);
      expect(metrics.text).toMatch(/oncepay_order_events_total\{event="created_recharge"\} \d+/);
    });

    it('two recharges of one user credit the sum; a GOODS order credits nothing', async () => {
      const user = newUserId();
      const r1 = await recharge(user, 100);
      const r2 = await recharge(user, 250);
      const p = await createProduct(t, { stock: 5, price: 999 });
      const g = await goods(user, p.id, 1);
      for (const [no, amt] of [
        [r1, 100],
        [r2, 250],
        [g, 999],
      ] as const) {
        expect(await orders.applyPaymentSucceeded(event(no, user, amt))).toEqual({ outcome: 'applied' });
      }
      expect(await balance(user)).toBe(350);
      expect((await orderRow(t, g))!.status).toBe('PAID'); // CREATED → PAID directly (late success)
      expect(await stockOf(t, p.id)).toBe(4);
    });

    it('paid after cancel: nothing applied, no marker, the same answer on every retry', async () => {
      const user = newUserId();
      const p = await createProduct(t, { stock: 5 });
      const orderNo = await goods(user, p.id, 2);
      await t.http().post(`/v1/orders/${orderNo}/cancel`).set('Authorization', t.bearer(user)).expect(200);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => orders.applyPaymentSucceeded(event(orderNo, user, 1000))),
      );
      expect(results).toEqual(Array(5).fill({ outcome: 'paid_after_cancel' }));
      expect((await orderRow(t, orderNo))!.status).toBe('CANCELLED');
      expect(await markers(orderNo)).toBe(0);
      expect(await stockOf(t, p.id)).toBe(5);
    });

    it('already paid by another path (wallet): marker kept, nothing credited', async () => {
      const user = newUserId();
      const orderNo = await recharge(user, 500);
      expect(await orders.markPaid(null, orderNo, ['CREATED'])).toBe(true);
      expect(await orders.applyPaymentSucceeded(event(orderNo, user, 500))).toEqual({
        outcome: 'already_paid',
      });
      expect(await balance(user)).toBe(0);
      expect(await orders.applyPaymentSucceeded(event(orderNo, user, 500))).toEqual({ outcome: 'duplicate' });
    });

    it('an unknown order is NOT_FOUND and leaves no marker', async () => {
      await expect(
        orders.applyPaymentSucceeded(event('20990101000000000000000000001', 'nobody', 1)),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await markers('20990101000000000000000000001')).toBe(0);
    });
  });

  describe('transitions', () => {
    it('markPaying / reopen / markPaid are CAS: one winner each, illegal moves are false or refused', async () => {
      const user = newUserId();
      const orderNo = await recharge(user, 100);
      const paying = await Promise.all(Array.from({ length: 5 }, () => orders.markPaying(null, orderNo)));
      expect(paying.filter(Boolean)).toHaveLength(1);
      expect(await orders.reopen(null, orderNo)).toBe(true);
      expect(await orders.reopen(null, orderNo)).toBe(false);
      expect(await orders.markPaying(null, orderNo)).toBe(true);
      expect(await orders.markPaid(null, orderNo, ['CREATED'])).toBe(false);
      expect(await orders.markPaid(null, orderNo, ['PAYING'])).toBe(true);
      expect(await orders.markPaying(null, orderNo)).toBe(false);
      expect(await orders.cancelAfterPaymentClosed(null, orderNo)).toBe(false);
      expect((await orders.findByOrderNo(null, orderNo))!.status).toBe('PAID');
    });

    it('cancelAfterPaymentClosed: PAYING → CANCELLED releasing stock once; not from CREATED', async () => {
      const user = newUserId();
      const p = await createProduct(t, { stock: 10 });
      const orderNo = await goods(user, p.id, 3);
      expect(await orders.cancelAfterPaymentClosed(null, orderNo)).toBe(false);
      expect(await orders.markPaying(null, orderNo)).toBe(true);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => orders.cancelAfterPaymentClosed(null, orderNo)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await orderRow(t, orderNo))!.status).toBe('CANCELLED');
      expect(await stockOf(t, p.id)).toBe(10);
    });

    it("joins the caller's transaction: a rollback undoes the transition", async () => {
      const user = newUserId();
      const orderNo = await recharge(user, 100);
      await expect(
        tx.run(async (m) => {
          expect(await orders.markPaying(m, orderNo)).toBe(true);
          expect((await orders.findByOrderNo(m, orderNo))!.status).toBe('PAYING');
          throw new Error('payment insert failed');
        }),
      ).rejects.toThrow('payment insert failed');
      expect((await orders.findByOrderNo(null, orderNo))!.status).toBe('CREATED');
    });

    it('findStuckPaying lists PAYING orders older than the threshold', async () => {
      const user = newUserId();
      const orderNo = await recharge(user, 100);
      const other = await recharge(user, 200);
      expect(await orders.markPaying(null, orderNo)).toBe(true);
      await new Promise((r) => setTimeout(r, 50));
      const stuck = await orders.findStuckPaying(10, 1000);
      expect(stuck).toContainEqual({ id: expect.any(Number), orderNo, userId: user });
      const first = stuck.findIndex((s) => s.orderNo === orderNo);
      // keyset paging: after its id, it is not listed again
      expect((await orders.findStuckPaying(10, 1000, stuck[first].id)).map((s) => s.orderNo)).not.toContain(
        orderNo,
      );
      expect(stuck.map((s) => s.orderNo)).not.toContain(other);
      expect((await orders.findStuckPaying(60_000, 1000)).map((s) => s.orderNo)).not.toContain(orderNo);
    });

    it('getOwnedOrder is NOT_FOUND for someone else', async () => {
      const user = newUserId();
      const orderNo = await recharge(user, 100);
      expect((await orders.getOwnedOrder(user, orderNo)).orderNo).toBe(orderNo);
      await expect(orders.getOwnedOrder('someone-else', orderNo)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });
  });

  describe('wallet', () => {
    it('10 concurrent debits of 300 against 1000: exactly 3 succeed, the balance never goes negative', async () => {
      const user = newUserId();
      await tx.run((m) => wallet.credit(m, user, 1000));
      const results = await Promise.all(
        Array.from({ length: 10 }, () => tx.run((m) => wallet.debit(m, user, 300))),
      );
      expect(results.filter(Boolean)).toHaveLength(3);
      expect(await balance(user)).toBe(100);
    });

    it('debit without an account is false; non-positive or fractional amounts are refused', async () => {
      const user = newUserId();
      expect(await tx.run((m) => wallet.debit(m, user, 1))).toBe(false);
      await expect(tx.run((m) => wallet.credit(m, user, 0))).rejects.toThrow(/positive integer/);
      await expect(tx.run((m) => wallet.credit(m, user, 1.5))).rejects.toThrow(/positive integer/);
      await expect(tx.run((m) => wallet.debit(m, user, -5))).rejects.toThrow(/positive integer/);
      expect(await balance(user)).toBe(0);
    });
  });
});
