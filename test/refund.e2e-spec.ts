import { RefundApplyService } from '../src/payment/refund/refund-apply.service';
import { RefundSweeper } from '../src/payment/refund/refund-sweeper.service';
import { createProduct, eventually, newUserId, stockOf } from './factories/order.factory';
import { anomalies, newOrder, orderStatus, paymentRow, prepay, sandboxPay } from './payment-helpers';
import {
  count,
  faults,
  gatewayRefunds,
  paidOrder,
  refundedAmount,
  refundReq,
  refundRows,
} from './refund-helpers';
import { createTestApp, TestApp } from './utils/test-app';
import { expectLedgerBalanced, seedWallet } from './ledger-helpers';

const ENV = {
  PAYMENT_QUERY_DELAYS_MS: '300,600,900',
  SANDBOX_TIME_SCALE: '0.001',
  ALIPAY_TIMEOUT_MS: '1000',
  SUBMIT_DEDUP_WINDOW_MS: '1',
  PAYMENT_SWEEP_INTERVAL_MS: '3600000',
  // late money is refunded by hand here (the automatic refund: test/late-money.e2e-spec.ts)
  AUTO_REFUND: 'false',
};

/** Refunds end to end against the sandbox (issue 12): the API, exactly once, faults, wallet, restock. */
describe('refunds', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: ENV });
  });
  afterAll(() => t?.close());

  const marker = (refundNo: string) =>
    count(t, "SELECT COUNT(*) n FROM t_uq_dipose WHERE ref_type = 'REFUND_SUCCEEDED' AND ref_id = ?", [
      refundNo,
    ]);
  const events = (refundNo: string) =>
    count(t, "SELECT COUNT(*) n FROM t_outbox WHERE topic = 'refund.succeeded' AND event_key = ?", [
      refundNo,
    ]);

  it('a full refund: 201 SUCCEEDED, order REFUNDED, one gateway refund, one marker, one event; readable by owner and admin', async () => {
    const o = await paidOrder(t, 12345);
    const res = await refundReq(t, o.orderNo, { amount: 12345, reason: 'customer returned it' }).expect(201);
    expect(res.body).toMatchObject({
      refundNo: expect.stringMatching(/^R[0-9]{29}$/),
      orderNo: o.orderNo,
      paymentNo: o.paymentNo,
      amount: 12345,
      status: 'SUCCEEDED',
      reason: 'customer returned it',
      createdAt: expect.any(String),
      succeededAt: expect.any(String),
    });
    const { refundNo } = res.body;
    expect(await orderStatus(t, o.orderNo)).toBe('REFUNDED');
    expect(await refundedAmount(t, o.paymentNo)).toBe(12345);
    expect(
      (await gatewayRefunds(t, o.paymentNo)).map((r) => [r.out_request_no, Number(r.refund_amount)]),
    ).toEqual([[refundNo, 12345]]);
    expect(await marker(refundNo)).toBe(1);
    expect(await events(refundNo)).toBe(1);

    const owner = t.bearer(o.userId);
    const list = await t
      .http()
      .get(`/v1/orders/${o.orderNo}/refunds`)
      .set('Authorization', owner)
      .expect(200);
    expect(list.body).toEqual([res.body]);
    await t.http().get(`/v1/refunds/${refundNo}`).set('Authorization', owner).expect(200);
    await t
      .http()
      .get(`/v1/refunds/${refundNo}`)
      .set('Authorization', t.bearer('admin-x', 'admin'))
      .expect(200);
    const other = t.bearer(newUserId());
    expect(
      (await t.http().get(`/v1/refunds/${refundNo}`).set('Authorization', other).expect(404)).body.code,
    ).toBe('NOT_FOUND');
    await t.http().get(`/v1/orders/${o.orderNo}/refunds`).set('Authorization', other).expect(404);
    // fully refunded: nothing more to refund
    const again = await refundReq(t, o.orderNo, { amount: 1, reason: 'more' }).expect(409);
    expect(again.body.code).toBe('ORDER_NOT_REFUNDABLE');
  });

  it('20 concurrent full refunds of one order → exactly one refund (one 201, 19 × 409 REFUND_EXCEEDS_PAID)', async () => {
    const o = await paidOrder(t, 5000);
    // different reasons: 20 distinct requests, so the content guard lets all of them reach the CAS
    const res = await Promise.all(
      Array.from({ length: 20 }, (_, i) => refundReq(t, o.orderNo, { amount: 5000, reason: `r${i}` })),
    );
    const statuses = res.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(19).fill(409)]);
    for (const r of res.filter((x) => x.status === 409)) expect(r.body.code).toBe('REFUND_EXCEEDS_PAID');
    expect(await refundRows(t, o.orderNo)).toHaveLength(1);
    expect(await gatewayRefunds(t, o.paymentNo)).toHaveLength(1);
    expect(await refundedAmount(t, o.paymentNo)).toBe(5000);
    expect(await orderStatus(t, o.orderNo)).toBe('REFUNDED');
  });

  it('two concurrent partial refunds that together exceed the paid amount → one 201, one 409; then the rest → REFUNDED', async () => {
    const o = await paidOrder(t, 10000);
    const [a, b] = await Promise.all([
      refundReq(t, o.orderNo, { amount: 6000, reason: 'a' }),
      refundReq(t, o.orderNo, { amount: 7000, reason: 'b' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    const won = a.status === 201 ? a : b;
    const lost = a.status === 201 ? b : a;
    expect(lost.body).toMatchObject({ code: 'REFUND_EXCEEDS_PAID', details: { paid: 10000 } });
    expect(won.body.status).toBe('SUCCEEDED');
    expect(await orderStatus(t, o.orderNo)).toBe('PARTIALLY_REFUNDED');
    const rest = 10000 - won.body.amount;
    await refundReq(t, o.orderNo, { amount: rest + 1, reason: 'too much' }).expect(409);
    await refundReq(t, o.orderNo, { amount: rest, reason: 'the rest' }).expect(201);
    expect(await orderStatus(t, o.orderNo)).toBe('REFUNDED');
    const refunded = await gatewayRefunds(t, o.paymentNo);
    expect(refunded.reduce((s, r) => s + Number(r.refund_amount), 0)).toBe(10000);
    expect(await refundedAmount(t, o.paymentNo)).toBe(10000);
  });

  it.each(['timeout', 'system_error', 'fund_change_n', 'fail_later'])(
    'gateway fault %s → PENDING, settled by the refund query, refunded exactly once',
    async (fault) => {
      const o = await paidOrder(t, 3000);
      await faults(t, o.paymentNo, { refund: fault });
      const res = await refundReq(t, o.orderNo, { amount: 3000, reason: fault }).expect(201);
      const { refundNo } = res.body;
      const done = await eventually(
        async () => {
          const r = (await refundRows(t, o.orderNo))[0];
          return r.status !== 'PENDING' && r;
        },
        30000,
        100,
      );
      expect(done.status).toBe('SUCCEEDED');
      expect(await gatewayRefunds(t, o.paymentNo)).toHaveLength(1);
      expect(await marker(refundNo)).toBe(1);
      expect(await events(refundNo)).toBe(1);
      expect(await orderStatus(t, o.orderNo)).toBe('REFUNDED');
      // the sweeper finds nothing more to do, and changes nothing
      await t.app.get(RefundSweeper).sweep(100, 0);
      expect(await gatewayRefunds(t, o.paymentNo)).toHaveLength(1);
      expect(await refundedAmount(t, o.paymentNo)).toBe(3000);
    },
  );

  it('a failed refund releases its reservation exactly once (10 concurrent fail calls), and never un-does a success', async () => {
    const o = await paidOrder(t, 4000);
    // a refund the gateway will not see yet: its first call answers SERVICE_UNAVAILABLE
    await faults(t, o.paymentNo, {
      refund: 'service_unavailable',
      refundQuery: 'service_unavailable',
      times: 50,
    });
    const res = await refundReq(t, o.orderNo, { amount: 1500, reason: 'x' }).expect(201);
    expect(res.body.status).toBe('PENDING');
    expect(await refundedAmount(t, o.paymentNo)).toBe(1500);
    const apply = t.app.get(RefundApplyService);
    const won = await Promise.all(
      Array.from({ length: 10 }, () => apply.fail(res.body.refundNo, 'test', 'alipay')),
    );
    expect(won.filter((w) => w === 'failed')).toHaveLength(1);
    expect(await refundedAmount(t, o.paymentNo)).toBe(0);
    expect((await refundRows(t, o.orderNo))[0]).toMatchObject({ status: 'FAILED', failed_reason: 'test' });
    expect(await apply.applySucceeded(res.body.refundNo, 'query', 'alipay')).toBe('anomaly');
    expect(await orderStatus(t, o.orderNo)).toBe('PAID');
    expect(await refundedAmount(t, o.paymentNo)).toBe(0);
  });

  it('a wallet-paid order is refunded to the wallet, credited once', async () => {
    const userId = newUserId();
    const recharge = (
      await t
        .http()
        .post('/v1/recharges')
        .set('Authorization', t.bearer(userId))
        .send({ amount: 20000 })
        .expect(201)
    ).body;
    const rp = (await prepay(t, userId, recharge.orderNo).expect(201)).body;
    await sandboxPay(t, rp.paymentNo).expect(200);
    await eventually(async () => (await orderStatus(t, recharge.orderNo)) === 'PAID', 20000, 50);
    const o = await newOrder(t, 8000, userId);
    await prepay(t, userId, o.orderNo, 'wallet').expect(201);
    const balance = async () =>
      (await t.http().get('/v1/account').set('Authorization', t.bearer(userId)).expect(200)).body.balance;
    expect(await balance()).toBe(12000);
    const [a, b] = await Promise.all([
      refundReq(t, o.orderNo, { amount: 8000, reason: 'w1' }),
      refundReq(t, o.orderNo, { amount: 8000, reason: 'w2' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect((a.status === 201 ? a : b).body.status).toBe('SUCCEEDED');
    expect(await balance()).toBe(20000);
    expect(await orderStatus(t, o.orderNo)).toBe('REFUNDED');

    // refunding the recharge takes its credit back first; with the money spent it is 409, nothing written
    const spend = await newOrder(t, 15000, userId);
    await prepay(t, userId, spend.orderNo, 'wallet').expect(201);
    const refused = await refundReq(t, recharge.orderNo, { amount: 20000, reason: 'recharge back' }).expect(
      409,
    );
    expect(refused.body.code).toBe('INSUFFICIENT_BALANCE');
    expect(await refundRows(t, recharge.orderNo)).toHaveLength(0);
    expect(await refundedAmount(t, rp.paymentNo)).toBe(0);
    expect(await gatewayRefunds(t, rp.paymentNo)).toHaveLength(0);
    const part = await refundReq(t, recharge.orderNo, { amount: 5000, reason: 'part back' }).expect(201);
    expect(part.body.status).toBe('SUCCEEDED');
    expect(await balance()).toBe(0);
  });

  it('restock only with the refund of everything left: a 1-fen refund of 5 units asking for it is 409 PARTIAL_RESTOCK, nothing written; the last refund restocks once', async () => {
    const product = await createProduct(t, { price: 600, stock: 100 });
    const userId = newUserId();
    const order = (
      await t
        .http()
        .post('/v1/orders')
        .set('Authorization', t.bearer(userId))
        .send({ items: [{ productId: product.id, quantity: 5 }] })
        .expect(201)
    ).body;
    const p = (await prepay(t, userId, order.orderNo).expect(201)).body;
    await sandboxPay(t, p.paymentNo).expect(200);
    await eventually(async () => (await orderStatus(t, order.orderNo)) === 'PAID', 20000, 50);
    expect(await stockOf(t, product.id)).toBe(95);
    // concurrent partial refunds asking for a restock: all refused, nothing reserved
    const refused = await Promise.all(
      [1, 1000].map((amount) =>
        refundReq(t, order.orderNo, { amount, reason: `part ${amount}`, restock: true }),
      ),
    );
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: 'PARTIAL_RESTOCK', details: { available: 3000 } });
    }
    expect(await refundRows(t, order.orderNo)).toHaveLength(0);
    expect(await refundedAmount(t, p.paymentNo)).toBe(0);
    expect(await gatewayRefunds(t, p.paymentNo)).toHaveLength(0);
    expect(await stockOf(t, product.id)).toBe(95);
    // a partial refund without restock is fine and returns nothing to stock
    await refundReq(t, order.orderNo, { amount: 1, reason: 'one fen' }).expect(201);
    expect(await stockOf(t, product.id)).toBe(95);
    expect(await orderStatus(t, order.orderNo)).toBe('PARTIALLY_REFUNDED');
    // the refund of everything left may ask for it: the whole order goes back, once
    const last = await refundReq(t, order.orderNo, { amount: 2999, reason: 'rest', restock: true }).expect(
      201,
    );
    expect(last.body).toMatchObject({ status: 'SUCCEEDED', restock: true });
    expect(await stockOf(t, product.id)).toBe(100);
    expect(await orderStatus(t, order.orderNo)).toBe('REFUNDED');
  });

  it('Idempotency-Key: the same key and body replays the refund; another body → 422; no second refund', async () => {
    const o = await paidOrder(t, 6000);
    const key = `rk-${newUserId()}`;
    const first = await refundReq(t, o.orderNo, { amount: 1000, reason: 'k' }, key).expect(201);
    const again = await refundReq(t, o.orderNo, { amount: 1000, reason: 'k' }, key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.refundNo).toBe(first.body.refundNo);
    const other = await refundReq(t, o.orderNo, { amount: 2000, reason: 'k' }, key).expect(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await refundRows(t, o.orderNo)).toHaveLength(1);
    expect(await gatewayRefunds(t, o.paymentNo)).toHaveLength(1);
  });

  /** An order cancelled while paying (the trade closed), then paid at the gateway anyway: money taken, order CANCELLED. */
  async function paidAfterCancel(orderNo: string, userId: string) {
    const p = (await prepay(t, userId, orderNo).expect(201)).body;
    await t.http().post(`/v1/orders/${orderNo}/cancel`).set('Authorization', t.bearer(userId)).expect(200);
    expect(await orderStatus(t, orderNo)).toBe('CANCELLED');
    await sandboxPay(t, p.paymentNo, { allowAfterClose: true }).expect(200);
    await eventually(async () => (await paymentRow(t, p.paymentNo))?.status === 'SUCCESS', 20000, 50);
    expect(await anomalies(t, p.paymentNo)).toEqual(['PAID_AFTER_CLOSE_UNFULFILLABLE']);
    return p.paymentNo as string;
  }

  it('money taken after a cancel is refundable: 201 SUCCEEDED, the order stays CANCELLED, no second restock, once', async () => {
    const product = await createProduct(t, { price: 2500, stock: 10 });
    const userId = newUserId();
    const order = (
      await t
        .http()
        .post('/v1/orders')
        .set('Authorization', t.bearer(userId))
        .send({ items: [{ productId: product.id, quantity: 2 }] })
        .expect(201)
    ).body;
    const paymentNo = await paidAfterCancel(order.orderNo, userId);
    expect(await stockOf(t, product.id)).toBe(10); // the cancel gave the stock back
    // concurrent full refunds (restock asked): one wins
    const res = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        refundReq(t, order.orderNo, { amount: 5000, reason: `after cancel ${i}`, restock: true }),
      ),
    );
    expect(res.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const won = res.find((r) => r.status === 201)!;
    expect(won.body).toMatchObject({ paymentNo, amount: 5000, status: 'SUCCEEDED' });
    for (const r of res.filter((x) => x.status === 409)) expect(r.body.code).toBe('REFUND_EXCEEDS_PAID');
    expect(await orderStatus(t, order.orderNo)).toBe('CANCELLED');
    expect(await stockOf(t, product.id)).toBe(10);
    expect(await refundedAmount(t, paymentNo)).toBe(5000);
    expect((await gatewayRefunds(t, paymentNo)).map((r) => Number(r.refund_amount))).toEqual([5000]);
    expect(await marker(won.body.refundNo)).toBe(1);
    // nothing is left (the order stays CANCELLED, so the answer is the payment's)
    const more = await refundReq(t, order.orderNo, { amount: 1, reason: 'more' }).expect(409);
    expect(more.body).toMatchObject({
      code: 'REFUND_EXCEEDS_PAID',
      details: { paid: 5000, refunded: 5000, available: 0 },
    });
    // a cancelled order that took no money stays unrefundable
    const plain = await newOrder(t, 700);
    await t
      .http()
      .post(`/v1/orders/${plain.orderNo}/cancel`)
      .set('Authorization', t.bearer(plain.userId))
      .expect(200);
    const none = await refundReq(t, plain.orderNo, { amount: 700, reason: 'x' }).expect(409);
    expect(none.body.code).toBe('ORDER_NOT_REFUNDABLE');
    expect(await refundRows(t, plain.orderNo)).toHaveLength(0);
  });

  it('a recharge paid after its cancel never credited the wallet: its refund debits nothing, in parts', async () => {
    const userId = newUserId();
    const recharge = (
      await t
        .http()
        .post('/v1/recharges')
        .set('Authorization', t.bearer(userId))
        .send({ amount: 9000 })
        .expect(201)
    ).body;
    const paymentNo = await paidAfterCancel(recharge.orderNo, userId);
    const balance = async () =>
      (await t.http().get('/v1/account').set('Authorization', t.bearer(userId)).expect(200)).body.balance;
    expect(await balance()).toBe(0);
    await refundReq(t, recharge.orderNo, { amount: 4000, reason: 'part' }).expect(201);
    await refundReq(t, recharge.orderNo, { amount: 5000, reason: 'rest' }).expect(201);
    expect(await balance()).toBe(0);
    expect(await orderStatus(t, recharge.orderNo)).toBe('CANCELLED');
    expect((await refundRows(t, recharge.orderNo)).map((r) => [r.status, Number(r.wallet_debit)])).toEqual([
      ['SUCCEEDED', 0],
      ['SUCCEEDED', 0],
    ]);
    expect(await refundedAmount(t, paymentNo)).toBe(9000);
    expect((await gatewayRefunds(t, paymentNo)).reduce((s, r) => s + Number(r.refund_amount), 0)).toBe(9000);
  });

  it('a second payment of a paid order (DUPLICATE_PAYMENT) is refunded by naming it: the order stays PAID; other payments 404 / 409', async () => {
    const o = await newOrder(t, 3000);
    const p1 = (await prepay(t, o.userId, o.orderNo).expect(201)).body;
    await seedWallet(t, o.userId, 3000);
    // switching to the wallet closes the alipay trade first, then the wallet pays the order
    await prepay(t, o.userId, o.orderNo, 'wallet').expect(201);
    expect(await orderStatus(t, o.orderNo)).toBe('PAID');
    // the buyer pays the closed trade anyway: the money is real, and the order is already paid
    await sandboxPay(t, p1.paymentNo, { allowAfterClose: true }).expect(200);
    await eventually(async () => (await paymentRow(t, p1.paymentNo))?.status === 'SUCCESS', 20000, 50);
    expect(await anomalies(t, p1.paymentNo)).toEqual(['DUPLICATE_PAYMENT']);
    const balance = async () =>
      (await t.http().get('/v1/account').set('Authorization', t.bearer(o.userId)).expect(200)).body.balance;
    expect(await balance()).toBe(0);

    const dup = await refundReq(t, o.orderNo, {
      amount: 3000,
      reason: 'paid twice',
      paymentNo: p1.paymentNo,
    });
    expect([dup.status, dup.body.paymentNo, dup.body.status]).toEqual([201, p1.paymentNo, 'SUCCEEDED']);
    expect(await orderStatus(t, o.orderNo)).toBe('PAID');
    expect(await balance()).toBe(0);
    expect((await gatewayRefunds(t, p1.paymentNo)).map((r) => Number(r.refund_amount))).toEqual([3000]);
    const again = await refundReq(t, o.orderNo, { amount: 1, reason: 'more', paymentNo: p1.paymentNo });
    expect([again.status, again.body.code]).toEqual([409, 'REFUND_EXCEEDS_PAID']);

    // without paymentNo: the payment that paid the order (the wallet), as before
    const own = await refundReq(t, o.orderNo, { amount: 3000, reason: 'returned' }).expect(201);
    expect(own.body.paymentNo).not.toBe(p1.paymentNo);
    expect(await orderStatus(t, o.orderNo)).toBe('REFUNDED');
    expect(await balance()).toBe(3000);

    // a payment of another order is 404; one that is not SUCCESS is 409; nothing written
    const other = await newOrder(t, 500);
    const pending = (await prepay(t, other.userId, other.orderNo).expect(201)).body;
    const foreign = await refundReq(t, o.orderNo, { amount: 1, reason: 'x', paymentNo: pending.paymentNo });
    expect([foreign.status, foreign.body.code]).toEqual([404, 'NOT_FOUND']);
    const unpaid = await refundReq(t, other.orderNo, {
      amount: 1,
      reason: 'x',
      paymentNo: pending.paymentNo,
    });
    expect(unpaid.body).toMatchObject({
      code: 'ORDER_NOT_REFUNDABLE',
      details: { paymentNo: pending.paymentNo, paymentStatus: 'PENDING' },
    });
    expect(await refundRows(t, o.orderNo)).toHaveLength(2);
    expect(await refundRows(t, other.orderNo)).toHaveLength(0);
  });

  it('bad input → 400 VALIDATION_FAILED, not admin → 403, unknown → 404, unpaid → 409; nothing written', async () => {
    const o = await paidOrder(t, 2000);
    for (const body of [
      {},
      { amount: 0, reason: 'x' },
      { amount: -5, reason: 'x' },
      { amount: 10.5, reason: 'x' },
      { amount: '100', reason: 'x' },
      { amount: 100 },
      { amount: 100, reason: '' },
      { amount: 100, reason: 'x'.repeat(257) },
      { amount: 100, reason: 'x', restock: 'yes' },
      { amount: 100, reason: 'x', extra: 1 },
      { amount: 100, reason: 'x', paymentNo: 'bad no!' },
      { amount: 100, reason: 'x', paymentNo: 5 },
    ]) {
      const r = await refundReq(t, o.orderNo, body);
      expect([r.status, r.body.code, body]).toEqual([400, 'VALIDATION_FAILED', body]);
    }
    const asUser = await t
      .http()
      .post(`/v1/orders/${o.orderNo}/refunds`)
      .set('Authorization', t.bearer(o.userId))
      .send({ amount: 100, reason: 'x' })
      .expect(403);
    expect(asUser.body.code).toBe('FORBIDDEN');
    expect(
      (await refundReq(t, '20990101000000000000000000000', { amount: 1, reason: 'x' }).expect(404)).body.code,
    ).toBe('NOT_FOUND');
    const unpaid = await newOrder(t, 2000);
    expect((await refundReq(t, unpaid.orderNo, { amount: 1, reason: 'x' }).expect(409)).body.code).toBe(
      'ORDER_NOT_REFUNDABLE',
    );
    expect(await refundRows(t, o.orderNo)).toHaveLength(0);
    expect(await refundRows(t, unpaid.orderNo)).toHaveLength(0);
    expect(await refundedAmount(t, o.paymentNo)).toBe(0);
    expect(await orderStatus(t, o.orderNo)).toBe('PAID');
  });

  it('the ledger is balanced after every movement of this suite', () => expectLedgerBalanced(t));
});
