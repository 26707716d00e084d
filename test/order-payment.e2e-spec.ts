import { TransactionService } from '../src/common/database/transaction.service';
import { OrderService } from '../src/order/order.service';
import { WalletService } from '../src/wallet';
import { createProduct, newUserId, orderRow, stockOf } from './factories/order.factory';
import { expectLedgerBalanced, seedWallet } from './ledger-helpers';
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

  const applyPaid = (orderNo: string, paymentNo: string, amount: number) =>
    tx.run((m) => orders.applyPaid(m, { orderNo, paymentNo, amount, channel: 'alipay' }));
  const settle = (orderNo: string, opts: { othersPending: boolean; cancel: boolean }) =>
    tx.run((m) => orders.settleAfterPaymentClosed(m, orderNo, opts));

  describe('applyPaid (inside the payment transaction)', () => {
    it('10 concurrent calls on a PAYING recharge: one PAID transition, credited once, one ORDER_PAID row', async () => {
      const user = newUserId();
      const orderNo = await recharge(user, 12345);
      expect(await orders.markPaying(null, orderNo)).toBe(true);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          applyPaid(orderNo, i < 5 ? `${orderNo}P01` : `${orderNo}P02`, 12345),
        ),
      );
      expect(outcomes.filter((o) => o === 'PAID')).toHaveLength(1);
      const winner = outcomes.indexOf('PAID') < 5 ? `${orderNo}P01` : `${orderNo}P02`;
      // the same payment again is ALREADY_APPLIED; the other payment is a DUPLICATE_PAYMENT
      expect(outcomes.filter((o) => o === 'ALREADY_APPLIED')).toHaveLength(4);
      expect(outcomes.filter((o) => o === 'DUPLICATE_PAYMENT')).toHaveLength(5);
      const row = (await orderRow(t, orderNo))!;
      expect(row.status).toBe('PAID');
      expect(row.paid_at).not.toBeNull();
      expect(row.paid_by).toBe(winner);
      expect(row.version).toBe(2); // CREATED→PAYING, PAYING→PAID: nothing else
      expect(await balance(user)).toBe(12345);
      expect(await markers(orderNo)).toBe(1);
      // one journal: clearing:alipay → the wallet, under the winning payment's number
      const entries = await t.dataSource.query(
        `SELECT la.owner, e.amount, e.balance_after FROM t_ledger_entry e
           JOIN t_ledger_account la ON la.id = e.account_id WHERE e.kind = 'RECHARGE' AND e.ref_id = ? ORDER BY e.amount`,
        [winner],
      );
      const asRow = (e: Record<string, unknown>) => [
        e.owner,
        Number(e.amount),
        e.balance_after && Number(e.balance_after),
      ];
      expect(entries.map(asRow)).toEqual([
        ['clearing:alipay', -12345, null],
        [user, 12345, 12345],
      ]);
      await expectLedgerBalanced(t);
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
        expect(await applyPaid(no, `${no}P01`, amt)).toBe('PAID');
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
        Array.from({ length: 5 }, () => applyPaid(orderNo, `${orderNo}P01`, 1000)),
      );
      expect(results).toEqual(Array(5).fill('PAID_AFTER_CANCEL'));
      expect((await orderRow(t, orderNo))!.status).toBe('CANCELLED');
      expect(await markers(orderNo)).toBe(0);
      expect(await stockOf(t, p.id)).toBe(5);
    });

    it('an unknown order is NOT_FOUND and leaves no marker', async () => {
      await expect(applyPaid('20990101000000000000000000001', 'X', 1)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await markers('20990101000000000000000000001')).toBe(0);
    });

    it("a rollback of the payment's transaction undoes the order side too", async () => {
      const user = newUserId();
      const orderNo = await recharge(user, 700);
      await expect(
        tx.run(async (m) => {
          expect(
            await orders.applyPaid(m, {
              orderNo,
              paymentNo: `${orderNo}P01`,
              amount: 700,
              channel: 'alipay',
            }),
          ).toBe('PAID');
          throw new Error('the payment CAS lost');
        }),
      ).rejects.toThrow('the payment CAS lost');
      expect((await orderRow(t, orderNo))!.status).toBe('CREATED');
      expect(await balance(user)).toBe(0);
      expect(await markers(orderNo)).toBe(0);
    });
  });

  describe('transitions', () => {
    it('settleAfterPaymentClosed: reopen, cancel on request or after expiry, nothing while another payment is pending', async () => {
      const user = newUserId();
      const p = await createProduct(t, { stock: 10 });
      const orderNo = await goods(user, p.id, 3);
      expect(await settle(orderNo, { othersPending: false, cancel: false })).toBe('UNCHANGED'); // CREATED
      const paying = await Promise.all(Array.from({ length: 5 }, () => orders.markPaying(null, orderNo)));
      expect(paying.filter(Boolean)).toHaveLength(1);
      expect(await settle(orderNo, { othersPending: true, cancel: true })).toBe('UNCHANGED');
      expect(await settle(orderNo, { othersPending: false, cancel: false })).toBe('REOPENED');
      expect(await orders.markPaying(null, orderNo)).toBe(true);
      const results = await Promise.all(
        Array.from({ length: 5 }, () => settle(orderNo, { othersPending: false, cancel: true })),
      );
      expect(results.filter((r) => r === 'CANCELLED')).toHaveLength(1);
      expect((await orderRow(t, orderNo))!.status).toBe('CANCELLED');
      expect(await stockOf(t, p.id)).toBe(10);
      expect(await orders.markPaying(null, orderNo)).toBe(false);
    });

    it('settleAfterPaymentClosed cancels an order already past expires_at', async () => {
      const user = newUserId();
      const p = await createProduct(t, { stock: 10 });
      const orderNo = await goods(user, p.id, 2);
      expect(await orders.markPaying(null, orderNo)).toBe(true);
      await t.dataSource.query(
        'UPDATE t_order SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE order_no = ?',
        [orderNo],
      );
      expect(await settle(orderNo, { othersPending: false, cancel: false })).toBe('CANCELLED');
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
      await seedWallet(t, user, 1000);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          tx.run((m) => wallet.payFromWallet(m, { userId: user, amount: 300, paymentNo: `P-${user}-${i}` })),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(3);
      expect(await balance(user)).toBe(100);
      // each debit that happened posted one wallet → revenue journal; the others posted nothing
      const entries = await t.dataSource.query(
        `SELECT e.amount, e.balance_after FROM t_ledger_entry e JOIN t_ledger_account la ON la.id = e.account_id
          WHERE la.kind = 'WALLET' AND la.owner = ? AND e.kind = 'WALLET_PAYMENT' ORDER BY e.id`,
        [user],
      );
      expect(
        entries.map((e: { amount: string; balance_after: string }) => [
          Number(e.amount),
          Number(e.balance_after),
        ]),
      ).toEqual([
        [-300, 700],
        [-300, 400],
        [-300, 100],
      ]);
      await expectLedgerBalanced(t);
    });

    it('debit without an account is false; non-positive or fractional amounts are refused', async () => {
      const user = newUserId();
      const pay = (amount: number) =>
        tx.run((m) => wallet.payFromWallet(m, { userId: user, amount, paymentNo: 'P1' }));
      expect(await pay(1)).toBe(false);
      const adjust = (amount: number) => tx.run((m) => wallet.adjust(m, { userId: user, amount, ref: 'r1' }));
      await expect(adjust(0)).rejects.toThrow(/positive integer/);
      await expect(adjust(1.5)).rejects.toThrow(/positive integer/);
      await expect(pay(-5)).rejects.toThrow(/positive integer/);
      expect(await balance(user)).toBe(0);
    });
  });
});
