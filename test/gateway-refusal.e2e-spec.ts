import { createProduct, newUserId, orderRow } from './factories/order.factory';
import { createTestApp, TestApp } from './utils/test-app';

/** Issue 10: a permanent gateway refusal at pre-pay is 422, not "502 forever" with the order stuck in PAYING. */
describe('permanent gateway refusals at pre-pay (real MySQL + Redis, sandbox gateway)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // the cap of this service is raised so the sandbox gateway's own amount limit (100,000,000 yuan) is reached
    t = await createTestApp({ env: { ORDER_MAX_TOTAL: '1000000000000', PAYMENT_QUERY_DELAYS_MS: '600000' } });
  });
  afterAll(() => t.close());

  it('an amount the gateway refuses: 422 GATEWAY_REFUSED with its code, payment CLOSED, order CREATED again', async () => {
    const p = await createProduct(t, { price: 1_000_000_000, stock: 100 });
    const user = newUserId('gr');
    const order = await t
      .http()
      .post('/v1/orders')
      .set('Authorization', t.bearer(user))
      .send({ items: [{ productId: p.id, quantity: 11 }] })
      .expect(201);
    const pay = () =>
      t
        .http()
        .post(`/v1/orders/${order.body.orderNo}/payments`)
        .set('Authorization', t.bearer(user))
        .send({ channel: 'alipay' });
    const res = await pay();
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'GATEWAY_REFUSED',
      details: { gatewayCode: 'ACQ.INVALID_PARAMETER', paymentNo: expect.any(String) },
    });
    const rows = await t.dataSource.query('SELECT status FROM t_payment WHERE order_no = ?', [
      order.body.orderNo,
    ]);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(['CLOSED']);
    expect((await orderRow(t, order.body.orderNo))!.status).toBe('CREATED');
    // asking again is refused again (a new attempt), never a 502 and never stuck
    const again = await pay();
    expect(again.status).toBe(422);
    expect((await orderRow(t, order.body.orderNo))!.status).toBe('CREATED');
    // and the order can still be cancelled by its owner
    await t
      .http()
      .post(`/v1/orders/${order.body.orderNo}/cancel`)
      .set('Authorization', t.bearer(user))
      .expect(200);
  });
});
