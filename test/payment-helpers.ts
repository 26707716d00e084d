import { createProduct, newUserId } from './factories/order.factory';
import type { TestApp } from './utils/test-app';

/** A fresh user with one CREATED order of `price` fen (through the real API). */
export async function newOrder(t: TestApp, price = 12345, userId = newUserId()) {
  const product = await createProduct(t, { price, stock: 1000 });
  const res = await t
    .http()
    .post('/v1/orders')
    .set('Authorization', t.bearer(userId))
    .send({ items: [{ productId: product.id, quantity: 1 }] });
  if (res.status !== 201) throw new Error(`order: ${res.status} ${JSON.stringify(res.body)}`);
  return { userId, orderNo: res.body.orderNo as string, amount: res.body.totalAmount as number };
}

export function prepay(t: TestApp, userId: string, orderNo: string, channel = 'alipay') {
  return t
    .http()
    .post(`/v1/orders/${orderNo}/payments`)
    .set('Authorization', t.bearer(userId))
    .send({ channel });
}

export async function paymentRow(t: TestApp, paymentNo: string) {
  const rows = await t.dataSource.query('SELECT * FROM t_payment WHERE payment_no = ?', [paymentNo]);
  return rows[0] as Record<string, any> | undefined;
}

export async function orderStatus(t: TestApp, orderNo: string): Promise<string> {
  const rows = await t.dataSource.query('SELECT status FROM t_order WHERE order_no = ?', [orderNo]);
  return rows[0]?.status;
}

export async function anomalies(t: TestApp, paymentNo: string): Promise<string[]> {
  const rows = await t.dataSource.query(
    'SELECT kind FROM t_payment_anomaly WHERE payment_no = ? ORDER BY id',
    [paymentNo],
  );
  return rows.map((r: { kind: string }) => r.kind);
}

export const sandboxPay = (t: TestApp, paymentNo: string, body: object = {}) =>
  t.http().post(`/sandbox/alipay/trades/${paymentNo}/pay`).send(body);

/** The buyer pays a WeChat sandbox transaction (`notify.mode` as in docs/wechat.md). */
export const wxPay = (t: TestApp, paymentNo: string, body: object = {}) =>
  t.http().post(`/sandbox/wechat/transactions/${paymentNo}/pay`).send(body);

/** The WeChat sandbox's view of a transaction, its refunds and notify attempts. */
export const wxTrade = async (t: TestApp, paymentNo: string) =>
  (await t.http().get(`/sandbox/wechat/transactions/${paymentNo}`).expect(200)).body;
