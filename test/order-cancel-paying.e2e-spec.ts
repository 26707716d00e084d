import { eventually } from './factories/order.factory';
import { newOrder, orderStatus, paymentRow, prepay, sandboxPay } from './payment-helpers';
import { createTestApp, TestApp } from './utils/test-app';

/** Cancelling an order whose payment is in flight: the trade is closed at the gateway first. */
describe('cancel while PAYING', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        // no active query or expiry interferes within the test
        PAYMENT_QUERY_DELAYS_MS: '600000',
        SANDBOX_TIME_SCALE: '0.001',
        ALIPAY_TIMEOUT_MS: '1000',
        SUBMIT_DEDUP_WINDOW_MS: '1',
        PAYMENT_SWEEP_INTERVAL_MS: '3600000',
      },
    });
  });
  afterAll(() => t?.close());

  const cancel = (userId: string, orderNo: string) =>
    t.http().post(`/v1/orders/${orderNo}/cancel`).set('Authorization', t.bearer(userId));
  const trade = async (paymentNo: string) =>
    (await t.http().get(`/sandbox/alipay/trades/${paymentNo}`).expect(200)).body;
  const stockOfOrder = async (orderNo: string) =>
    Number(
      (
        await t.dataSource.query(
          'SELECT p.stock FROM t_product p JOIN t_order_item i ON i.product_id = p.id JOIN t_order o ON o.id = i.order_id WHERE o.order_no = ?',
          [orderNo],
        )
      )[0].stock,
    );

  it('closes the trade, then cancels the order and releases its stock', async () => {
    const { userId, orderNo } = await newOrder(t);
    const pay = (await prepay(t, userId, orderNo).expect(201)).body;
    expect(await orderStatus(t, orderNo)).toBe('PAYING');
    const stockBefore = await stockOfOrder(orderNo);

    const res = await cancel(userId, orderNo).expect(200);
    expect(res.body.status).toBe('CANCELLED');
    expect((await paymentRow(t, pay.paymentNo))!.status).toBe('CLOSED');
    expect(await stockOfOrder(orderNo)).toBe(stockBefore + 1);
    expect((await trade(pay.paymentNo)).status).not.toBe('WAIT_BUYER_PAY');
    // idempotent: cancelling again returns the cancelled order
    expect((await cancel(userId, orderNo).expect(200)).body.status).toBe('CANCELLED');
  });

  it('a trade already paid at the gateway (notify lost) takes the success path: 409, then PAID', async () => {
    const { userId, orderNo } = await newOrder(t);
    const pay = (await prepay(t, userId, orderNo).expect(201)).body;
    await sandboxPay(t, pay.paymentNo, { notify: { mode: 'drop' } }).expect(200);

    const res = await cancel(userId, orderNo).expect(409);
    expect(res.body.code).toBe('ORDER_NOT_CANCELLABLE');
    expect((await paymentRow(t, pay.paymentNo))!.status).toBe('SUCCESS');
    await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 10000, 50);
  });

  it('an unknown gateway answer changes nothing: 409 with Retry-After, the order stays PAYING', async () => {
    const { userId, orderNo } = await newOrder(t);
    const pay = (await prepay(t, userId, orderNo).expect(201)).body;
    await t
      .http()
      .post(`/sandbox/alipay/trades/${pay.paymentNo}/faults`)
      .send({ close: 'system_error' })
      .expect(200);

    const res = await cancel(userId, orderNo).expect(409);
    expect(res.body.code).toBe('ORDER_NOT_CANCELLABLE');
    expect(res.headers['retry-after']).toBe('5');
    expect(await orderStatus(t, orderNo)).toBe('PAYING');
    expect((await paymentRow(t, pay.paymentNo))!.status).toBe('PENDING');

    // the fault was armed once: the retry goes through
    expect((await cancel(userId, orderNo).expect(200)).body.status).toBe('CANCELLED');
  });

  it('10 concurrent cancels of a PAYING order: one closing, stock released once', async () => {
    const { userId, orderNo } = await newOrder(t);
    await prepay(t, userId, orderNo).expect(201);
    const stockBefore = await stockOfOrder(orderNo);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => cancel(userId, orderNo).then((r) => r)),
    );
    expect(results.map((r) => `${r.status} ${r.body.status ?? r.body.code}`)).toEqual(
      Array(10).fill('200 CANCELLED'),
    );
    expect(await stockOfOrder(orderNo)).toBe(stockBefore + 1);
  });
});
