import { eventually } from './factories/order.factory';
import { postNotify, signedNotify, yuan } from './callback-support';
import { orderStatus } from './payment-helpers';
import { count, faults, gatewayRefunds, paidOrder, refundReq, refundRows } from './refund-helpers';
import { createTestApp, TestApp } from './utils/test-app';

const ENV = {
  SANDBOX_TIME_SCALE: '0.001',
  ALIPAY_TIMEOUT_MS: '3000',
  SUBMIT_DEDUP_WINDOW_MS: '1',
  OUTBOX_POLL_MS: '100',
  // no refund query in these tests: the notify is the only news besides the refund call's answer
  PAYMENT_QUERY_DELAYS_MS: '600000',
  PAYMENT_SWEEP_INTERVAL_MS: '3600000',
};

/** The gateway's refund notify routed to the one refund apply function (issue 12), on two instances. */
describe('refund notify', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp({ env: ENV });
    b = await createTestApp({ env: ENV, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const marker = (refundNo: string) =>
    count(a, "SELECT COUNT(*) n FROM t_uq_dipose WHERE ref_type = 'REFUND_SUCCEEDED' AND ref_id = ?", [
      refundNo,
    ]);
  const events = (refundNo: string) =>
    count(a, "SELECT COUNT(*) n FROM t_outbox WHERE topic = 'refund.succeeded' AND event_key = ?", [
      refundNo,
    ]);
  const outcomes = async (paymentNo: string) =>
    (
      (await a.dataSource.query(
        "SELECT outcome FROM t_callback_log WHERE out_trade_no = ? AND outcome LIKE 'REFUND%' ORDER BY id",
        [paymentNo],
      )) as Array<{ outcome: string }>
    ).map((r) => r.outcome);

  it('a full refund notify (TRADE_CLOSED) duplicated ×10 across two instances → applied once, never an anomaly', async () => {
    const o = await paidOrder(a, 7000);
    // the gateway refunds but answers fund_change N (PENDING here) and its own notify is dropped
    await faults(a, o.paymentNo, { refund: 'fund_change_n', refundNotify: { mode: 'drop' } });
    const created = await refundReq(a, o.orderNo, { amount: 7000, reason: 'notify x10' }).expect(201);
    expect(created.body.status).toBe('PENDING');
    const { refundNo } = created.body;
    const notify = await signedNotify(a.dataSource, {
      outTradeNo: o.paymentNo,
      totalAmount: yuan(7000),
      tradeStatus: 'TRADE_CLOSED',
      extra: { out_biz_no: refundNo, refund_fee: yuan(7000), gmt_refund: '2026-11-30 20:00:00.123' },
    });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => postNotify(i % 2 ? a : b, notify)),
    );
    expect(answers).toEqual(Array(10).fill('success'));
    expect((await refundRows(a, o.orderNo))[0].status).toBe('SUCCEEDED');
    expect(await orderStatus(a, o.orderNo)).toBe('REFUNDED');
    expect(await marker(refundNo)).toBe(1);
    expect(await events(refundNo)).toBe(1);
    const seen = await outcomes(o.paymentNo);
    expect(seen.filter((x) => x === 'REFUND_APPLIED')).toHaveLength(1);
    expect(seen.filter((x) => x === 'REFUND_DUPLICATE')).toHaveLength(9);
    const anomalies = await a.dataSource.query('SELECT kind FROM t_payment_anomaly WHERE payment_no = ?', [
      o.paymentNo,
    ]);
    expect(anomalies).toEqual([]);
    expect(await gatewayRefunds(a, o.paymentNo)).toHaveLength(1);
  });

  it('a notify for a refund number we never made is recorded as UNKNOWN_REFUND, acked, and changes nothing', async () => {
    const o = await paidOrder(a, 3000);
    const notify = await signedNotify(a.dataSource, {
      outTradeNo: o.paymentNo,
      totalAmount: yuan(3000),
      extra: {
        out_biz_no: 'R99999999999999999999999999999',
        refund_fee: yuan(1000),
        gmt_refund: '2026-11-30 20:00:00',
      },
    });
    expect(await postNotify(b, notify)).toBe('success');
    expect(await orderStatus(a, o.orderNo)).toBe('PAID');
    const anomalies = await a.dataSource.query('SELECT kind FROM t_payment_anomaly WHERE payment_no = ?', [
      o.paymentNo,
    ]);
    expect(anomalies.map((r: { kind: string }) => r.kind)).toEqual(['UNKNOWN_REFUND']);
  });

  it('the notify arriving before the refund call answers (sandbox notify mode early) → one effect', async () => {
    const o = await paidOrder(a, 4000);
    await faults(a, o.paymentNo, { refundNotify: { mode: 'early' } });
    const created = await refundReq(a, o.orderNo, { amount: 1500, reason: 'early' }).expect(201);
    const { refundNo } = created.body;
    expect(created.body.status).toBe('SUCCEEDED');
    // the notify was acked before the answer came back: it applied, the answer found it done
    await eventually(async () => (await outcomes(o.paymentNo)).length > 0, 15000, 50);
    expect(await outcomes(o.paymentNo)).toEqual(['REFUND_APPLIED']);
    expect(await marker(refundNo)).toBe(1);
    expect(await events(refundNo)).toBe(1);
    expect(await orderStatus(a, o.orderNo)).toBe('PARTIALLY_REFUNDED');
    expect(await gatewayRefunds(a, o.paymentNo)).toHaveLength(1);
  });

  it('reconciliation: a refund made at the gateway but PENDING here is repaired through the apply function, once', async () => {
    const o = await paidOrder(a, 2500);
    await faults(a, o.paymentNo, { refund: 'fund_change_n', refundNotify: { mode: 'drop' } });
    const created = await refundReq(a, o.orderNo, { amount: 2500, reason: 'recon' }).expect(201);
    expect(created.body.status).toBe('PENDING');
    const date = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
    const run = () =>
      a
        .http()
        .post('/v1/admin/reconciliations')
        .set('Authorization', a.bearer('admin-r', 'admin'))
        .send({ date })
        .expect(200);
    const first = (await run()).body;
    expect(first.mismatches).toContainEqual({
      paymentNo: o.paymentNo,
      refundNo: created.body.refundNo,
      kind: 'refund_not_recorded',
      repaired: true,
    });
    expect((await refundRows(a, o.orderNo))[0].status).toBe('SUCCEEDED');
    expect(await orderStatus(a, o.orderNo)).toBe('REFUNDED');
    const second = (await run()).body;
    expect(
      second.mismatches.filter((m: { refundNo?: string }) => m.refundNo === created.body.refundNo),
    ).toEqual([]);
    expect(await marker(created.body.refundNo)).toBe(1);
  });
});
