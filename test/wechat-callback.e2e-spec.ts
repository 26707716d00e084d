import {
  anomalies,
  duplicatesCounted,
  logOutcomes,
  orderStatus,
  paymentStatus,
  postNotify,
  signedNotify,
  signedWechatNotify,
  waitFor,
} from './callback-support';
import { newOrder, prepay, wxPay, wxTrade } from './payment-helpers';
import { refundedAmount, refundReq, refundRows } from './refund-helpers';
import { createTestApp, TestApp } from './utils/test-app';

/**
 * POST /v1/callbacks/wechat beyond the table of test/callback-channels.e2e-spec.ts: what is not a notify,
 * an unknown out_trade_no, the refund events, and the contract (204 without a body, FAIL bodies, Swagger).
 */

describe('POST /v1/callbacks/wechat', () => {
  let t: TestApp;
  beforeAll(async () => {
    // no active or refund query: only notifies settle anything here
    t = await createTestApp({
      env: {
        SANDBOX_TIME_SCALE: '0.001',
        OUTBOX_POLL_MS: '100',
        PAYMENT_QUERY_DELAYS_MS: '600000',
        CALLBACK_BODY_LIMIT_BYTES: '4096',
      },
    });
  });
  afterAll(() => t?.close());

  const post = (headers: Record<string, string>, body: string) =>
    t.http().post('/v1/callbacks/wechat').set(headers).send(body);

  async function wechatPayment(price = 1500) {
    const o = await newOrder(t, price);
    const p = (await prepay(t, o.userId, o.orderNo, 'wechat').expect(201)).body;
    return { ...o, paymentNo: p.paymentNo as string };
  }

  it('a normal notify: 204 with no body, one commit (payment, order, log row APPLIED)', async () => {
    const o = await wechatPayment();
    await wxPay(t, o.paymentNo).expect(200);
    await waitFor(async () => (await logOutcomes(t, o.paymentNo)).includes('APPLIED'), 'APPLIED');
    const [attempt] = (await wxTrade(t, o.paymentNo)).attempts;
    expect(attempt.httpStatus).toBe(204);
    expect(attempt.responseBody).toBe('');
    expect(await paymentStatus(t, o.paymentNo)).toBe('SUCCESS');
    expect(await orderStatus(t, o.orderNo)).toBe('PAID');
    const [row] = await t.dataSource.query(
      "SELECT raw_body, verified, trade_status FROM t_callback_log WHERE out_trade_no = ? AND outcome = 'APPLIED'",
      [o.paymentNo],
    );
    // the raw body exactly as sent (what the signature covers), the event type beside it
    expect(row.raw_body).toBe(JSON.stringify(attempt.payload.body));
    expect(Number(row.verified)).toBe(1);
    expect(row.trade_status).toBe('TRANSACTION.SUCCESS');
  });

  it('not JSON, not signed, or over the body cap: 4xx {"code":"FAIL"}, logged, nothing else', async () => {
    const form = await t
      .http()
      .post('/v1/callbacks/wechat')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('a=1');
    expect(form.status).toBe(415);
    expect(form.body).toMatchObject({ code: 'FAIL' });
    const garbage = await post({ 'content-type': 'application/json' }, '{not json');
    expect(garbage.status).toBe(401);
    expect(garbage.body).toEqual({ code: 'FAIL', message: 'MISSING_HEADERS' });
    const big = await post({ 'content-type': 'application/json' }, JSON.stringify({ pad: 'x'.repeat(5000) }));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('FAIL');
    const rows = await t.dataSource.query(
      "SELECT outcome, LENGTH(raw_body) AS len FROM t_callback_log WHERE channel = 'wechat' AND out_trade_no IS NULL ORDER BY id",
    );
    expect(rows.map((r: { outcome: string }) => r.outcome)).toEqual([
      'MALFORMED',
      'BAD_SIGNATURE',
      'MALFORMED',
    ]);
  });

  it('validly signed for an out_trade_no we do not know: 404 FAIL (WeChat re-sends), nothing paid', async () => {
    const n = await signedWechatNotify(t.dataSource, 'TRANSACTION.SUCCESS', {
      appid: 'wxd678efh567hg6787',
      mchid: '1900000109',
      out_trade_no: 'NOSUCHPAYMENT0001',
      transaction_id: '4200000000000000001',
      trade_state: 'SUCCESS',
      amount: { total: 100, payer_total: 100, currency: 'CNY', payer_currency: 'CNY' },
      success_time: new Date().toISOString(),
    });
    const res = await post(n.headers, n.body);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ code: 'FAIL', message: 'unknown out_trade_no' });
    expect(await logOutcomes(t, 'NOSUCHPAYMENT0001')).toEqual(['UNKNOWN_TRADE']);
  });

  it('a WeChat notify naming an Alipay payment is CHANNEL_MISMATCH: acknowledged, never paid', async () => {
    const o = await newOrder(t, 1200);
    const p = (await prepay(t, o.userId, o.orderNo, 'alipay').expect(201)).body;
    const n = await signedWechatNotify(t.dataSource, 'TRANSACTION.SUCCESS', {
      appid: 'wxd678efh567hg6787',
      mchid: '1900000109',
      out_trade_no: p.paymentNo,
      transaction_id: '4200000000000000002',
      trade_state: 'SUCCESS',
      amount: { total: 1200, payer_total: 1200, currency: 'CNY', payer_currency: 'CNY' },
      success_time: new Date().toISOString(),
    });
    expect((await post(n.headers, n.body)).status).toBe(204);
    expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
    expect(await anomalies(t, p.paymentNo)).toEqual(['CHANNEL_MISMATCH']);
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['ANOMALY']);
  });

  it('a copy for a payment already paid: 204 from one read, no log row, counted in oncepay_callback_duplicates_total', async () => {
    const o = await wechatPayment(1100);
    const n = await signedWechatNotify(t.dataSource, 'TRANSACTION.SUCCESS', {
      appid: 'wxd678efh567hg6787',
      mchid: '1900000109',
      out_trade_no: o.paymentNo,
      transaction_id: '4200000000000000011',
      trade_state: 'SUCCESS',
      amount: { total: 1100, payer_total: 1100, currency: 'CNY', payer_currency: 'CNY' },
      success_time: new Date().toISOString(),
    });
    expect((await post(n.headers, n.body)).status).toBe(204);
    const before = await duplicatesCounted(t, 'wechat');
    expect((await post(n.headers, n.body)).status).toBe(204);
    expect((await post(n.headers, n.body)).status).toBe(204);
    expect(await logOutcomes(t, o.paymentNo)).toEqual(['APPLIED']);
    expect(await duplicatesCounted(t, 'wechat')).toBe(before + 2);
  });

  it('an Alipay TRADE_CLOSED naming a WeChat payment closes nothing: CHANNEL_MISMATCH, and WeChat still pays it', async () => {
    const o = await wechatPayment(1300);
    const closed = await signedNotify(t.dataSource, {
      outTradeNo: o.paymentNo,
      totalAmount: '13.00',
      tradeStatus: 'TRADE_CLOSED',
    });
    expect(await postNotify(t, closed)).toBe('success');
    expect(await postNotify(t, closed)).toBe('success');
    expect(await paymentStatus(t, o.paymentNo)).toBe('PENDING');
    expect(await orderStatus(t, o.orderNo)).toBe('PAYING');
    expect(await anomalies(t, o.paymentNo)).toEqual(['CHANNEL_MISMATCH']);
    expect(await logOutcomes(t, o.paymentNo)).toEqual(['CHANNEL_MISMATCH', 'CHANNEL_MISMATCH']);
    // the WeChat trade was payable all along: its buyer pays, its notify pays the order
    await wxPay(t, o.paymentNo).expect(200);
    await waitFor(async () => (await orderStatus(t, o.orderNo)) === 'PAID', 'order PAID');
    expect(await paymentStatus(t, o.paymentNo)).toBe('SUCCESS');
  });

  it("an Alipay refund notify naming a WeChat payment's refund settles nothing: REFUND_CHANNEL_MISMATCH", async () => {
    const o = await wechatPayment(1600);
    await wxPay(t, o.paymentNo).expect(200);
    await waitFor(async () => (await orderStatus(t, o.orderNo)) === 'PAID', 'order PAID');
    // WeChat refuses the refund call for now, so the refund stays PENDING (no query runs here)
    await t
      .http()
      .post(`/sandbox/wechat/transactions/${o.paymentNo}/faults`)
      .send({ refund: 'system_error', times: 50 })
      .expect(200);
    const r = (await refundReq(t, o.orderNo, { amount: 600, reason: 'cross channel' }).expect(201)).body;
    expect(r.status).toBe('PENDING');
    const n = await signedNotify(t.dataSource, {
      outTradeNo: o.paymentNo,
      totalAmount: '16.00',
      extra: { out_biz_no: r.refundNo, refund_fee: '6.00', gmt_refund: '2026-11-23 20:05:00' },
    });
    expect(await postNotify(t, n)).toBe('success');
    expect((await refundRows(t, o.orderNo))[0]).toMatchObject({ status: 'PENDING' });
    expect(await orderStatus(t, o.orderNo)).toBe('PAID');
    expect(await anomalies(t, o.paymentNo)).toEqual(['REFUND_CHANNEL_MISMATCH']);
    expect(await logOutcomes(t, o.paymentNo)).toEqual(['APPLIED', 'REFUND_ANOMALY']);
  });

  it('REFUND.SUCCESS goes to the refund apply function: refund SUCCEEDED, order REFUNDED, once', async () => {
    const o = await wechatPayment(2200);
    await wxPay(t, o.paymentNo).expect(200);
    await waitFor(async () => (await orderStatus(t, o.orderNo)) === 'PAID', 'order PAID');
    const r = (await refundReq(t, o.orderNo, { amount: 2200, reason: 'notify refund' }).expect(201)).body;
    await waitFor(
      async () => (await refundRows(t, o.orderNo))[0]?.status === 'SUCCEEDED',
      'refund SUCCEEDED',
    );
    expect(await orderStatus(t, o.orderNo)).toBe('REFUNDED');
    const outcomes = await logOutcomes(t, o.paymentNo);
    expect(outcomes).toEqual(['APPLIED', 'REFUND_APPLIED']);
    const [{ n }] = await t.dataSource.query(
      "SELECT COUNT(*) n FROM t_uq_dipose WHERE ref_type = 'REFUND_SUCCEEDED' AND ref_id = ?",
      [r.refundNo],
    );
    expect(Number(n)).toBe(1);
  });

  it('REFUND.CLOSED: the refund FAILED and its reservation released', async () => {
    const o = await wechatPayment(1800);
    await wxPay(t, o.paymentNo).expect(200);
    await waitFor(async () => (await orderStatus(t, o.orderNo)) === 'PAID', 'order PAID');
    await t
      .http()
      .post(`/sandbox/wechat/transactions/${o.paymentNo}/faults`)
      .send({ refundOutcome: 'CLOSED' })
      .expect(200);
    await refundReq(t, o.orderNo, { amount: 800, reason: 'closed refund' }).expect(201);
    await waitFor(async () => (await refundRows(t, o.orderNo))[0]?.status === 'FAILED', 'refund FAILED');
    // the notify's log row is written after the refund is failed: wait for it, not only for the refund
    await waitFor(async () => (await logOutcomes(t, o.paymentNo)).length === 2, 'the notify logged');
    expect(await logOutcomes(t, o.paymentNo)).toEqual(['APPLIED', 'REFUND_FAILED']);
    expect(await refundedAmount(t, o.paymentNo)).toBe(0);
    expect(await orderStatus(t, o.orderNo)).toBe('PAID');
  });

  it('is in Swagger: JSON body, 204, FAIL answers', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    const op = res.body.paths['/v1/callbacks/wechat'].post;
    expect(op.requestBody.content).toHaveProperty('application/json');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['204', '400', '401', '404', '500']));
  });
});
