import { eventually } from './factories/order.factory';
import { newOrder, orderStatus, prepay, sandboxPay } from './payment-helpers';
import type { TestApp } from './utils/test-app';

/** A GOODS order paid through the sandbox (payment notify delivered normally), status PAID. */
export async function paidOrder(t: TestApp, price = 10000) {
  const o = await newOrder(t, price);
  const p = (await prepay(t, o.userId, o.orderNo).expect(201)).body;
  await sandboxPay(t, p.paymentNo).expect(200);
  await eventually(async () => (await orderStatus(t, o.orderNo)) === 'PAID', 20000, 50);
  return { ...o, paymentNo: p.paymentNo as string };
}

export const refundReq = (t: TestApp, orderNo: string, body: object, key?: string) => {
  const r = t.http().post(`/v1/orders/${orderNo}/refunds`).set('Authorization', t.bearer('admin-r', 'admin'));
  if (key) r.set('Idempotency-Key', key);
  return r.send(body);
};

export const faults = (t: TestApp, paymentNo: string, body: object) =>
  t.http().post(`/sandbox/alipay/trades/${paymentNo}/faults`).send(body).expect(200);

export async function refundRows(t: TestApp, orderNo: string) {
  return (await t.dataSource.query('SELECT * FROM t_refund WHERE order_no = ? ORDER BY id', [
    orderNo,
  ])) as Array<Record<string, any>>;
}

export async function gatewayRefunds(t: TestApp, paymentNo: string) {
  return (await t.dataSource.query(
    "SELECT * FROM sandbox_refund WHERE out_trade_no = ? AND status = 'SUCCESS' ORDER BY id",
    [paymentNo],
  )) as Array<Record<string, any>>;
}

export async function refundedAmount(t: TestApp, paymentNo: string): Promise<number> {
  const rows = await t.dataSource.query('SELECT refunded_amount FROM t_payment WHERE payment_no = ?', [
    paymentNo,
  ]);
  return Number(rows[0].refunded_amount);
}

export async function count(t: TestApp, sql: string, params: unknown[]): Promise<number> {
  return Number((await t.dataSource.query(sql, params))[0].n);
}
