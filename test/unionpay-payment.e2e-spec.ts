import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { QUEUES } from '../src/common/queue/queue.constants';
import { eventually } from './factories/order.factory';
import { anomalies, newOrder, orderStatus, paymentRow, prepay } from './payment-helpers';
import { refundReq, refundRows } from './refund-helpers';
import { createTestApp, TestApp } from './utils/test-app';

const ENV = {
  PAYMENT_QUERY_DELAYS_MS: '300,600,900',
  SANDBOX_TIME_SCALE: '0.001',
  UNIONPAY_TIMEOUT_MS: '2000',
  SUBMIT_DEDUP_WINDOW_MS: '1',
  PAYMENT_SWEEP_INTERVAL_MS: '3600000',
};

export const upPay = (t: TestApp, orderId: string, body: object = {}) =>
  t.http().post(`/sandbox/unionpay/trades/${orderId}/pay`).send(body);
export const upTrade = async (t: TestApp, orderId: string) =>
  (await t.http().get(`/sandbox/unionpay/trades/${orderId}`).expect(200)).body;

/**
 * UnionPay (acp 5.1.0) through the service, against its sandbox face: pre-pay `{"channel":"unionpay"}`
 * → 201 with the QR code (one payment number and one UnionPay transaction on retries), the buyer pays →
 * signed notify → PAID; a dropped notify settled by the active query (queryTrans, origRespCode); a refund
 * (txnType 04 with origQryId) accepted, then settled by its notify.
 */
describe('UnionPay payments through the service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: ENV });
  });
  afterAll(() => t?.close());

  it('pre-pay → 201 with the qrCode, retries → 200 with the same payment; pay → notify → PAID once', async () => {
    const { userId, orderNo, amount } = await newOrder(t);
    const first = await prepay(t, userId, orderNo, 'unionpay').expect(201);
    expect(first.body).toMatchObject({ channel: 'unionpay', status: 'PENDING', amount, orderNo });
    // the active query (300/600/900 ms) is held ("in process, ask again") so the notify is the one path that
    // can pay; the notify comes after every query (delay 1.2 s) so the hold is what this relies on. Unheld, a
    // query landing between the pay and the notify paid first and the notify was DUPLICATE (the flake). The
    // query path has its own tests below.
    await t
      .http()
      .post(`/sandbox/unionpay/trades/${first.body.paymentNo}/faults`)
      .send({ query: 'in_process', times: 1000 })
      .expect(200);
    expect(first.body.qrCode).toMatch(/^https:\/\/qr\.95516\.com\//);
    const again = await Promise.all(Array.from({ length: 4 }, () => prepay(t, userId, orderNo, 'unionpay')));
    for (const r of again) {
      expect(r.status).toBe(200);
      expect(r.body.paymentNo).toBe(first.body.paymentNo);
    }
    const trade = await upTrade(t, first.body.paymentNo);
    expect(trade).toMatchObject({ status: 'WAIT', txnAmt: amount, qrCode: first.body.qrCode });
    expect(trade.backUrl).toMatch(/\/v1\/callbacks\/unionpay$/);
    const paid = (
      await upPay(t, first.body.paymentNo, { notify: { mode: 'delay', delayMs: 1200 } }).expect(200)
    ).body;
    await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 15000, 50);
    const row = (await paymentRow(t, first.body.paymentNo))!;
    expect(row.status).toBe('SUCCESS');
    expect(row.channel_trade_no).toBe(paid.queryId);
    const logs = await t.dataSource.query(
      "SELECT outcome FROM t_callback_log WHERE channel = 'unionpay' AND out_trade_no = ?",
      [first.body.paymentNo],
    );
    expect(logs.map((l: { outcome: string }) => l.outcome)).toEqual(['APPLIED']);
    const acked = (await upTrade(t, first.body.paymentNo)).notifyAttempts;
    expect(acked).toEqual([expect.objectContaining({ outcome: 'ACKED', httpStatus: 200 })]);
  });

  it('/health reports the channel’s keys (published by the sandbox here)', async () => {
    const res = await t.http().get('/health');
    expect(res.body.details.unionpay).toEqual({
      status: 'up',
      enabled: true,
      merId: '777290058110048',
      signKey: 'sandbox',
      rootCert: 'sandbox',
      middleCert: 'sandbox',
    });
  });

  it('notify dropped → the active query (origRespCode 00) pays it: SUCCESS with the queryId, one marker', async () => {
    const { userId, orderNo } = await newOrder(t);
    const p = (await prepay(t, userId, orderNo, 'unionpay').expect(201)).body;
    const paid = (await upPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200)).body;
    await eventually(async () => (await paymentRow(t, p.paymentNo))?.status === 'SUCCESS', 15000, 50);
    expect((await paymentRow(t, p.paymentNo))!.channel_trade_no).toBe(paid.queryId);
    expect(await orderStatus(t, orderNo)).toBe('PAID');
    const [{ n }] = await t.dataSource.query(
      "SELECT COUNT(*) n FROM t_uq_dipose WHERE ref_type = 'PAYMENT_SUCCEEDED' AND ref_id = ?",
      [p.paymentNo],
    );
    expect(Number(n)).toBe(1);
    expect(await anomalies(t, p.paymentNo)).toEqual([]);
  });

  it('a query answering 03 / origRespCode 05 is asked again, never read as unpaid', async () => {
    const { userId, orderNo } = await newOrder(t);
    const p = (await prepay(t, userId, orderNo, 'unionpay').expect(201)).body;
    await t
      .http()
      .post(`/sandbox/unionpay/trades/${p.paymentNo}/faults`)
      .send({ query: 'in_process', times: 2 })
      .expect(200);
    await upPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
    await eventually(async () => (await paymentRow(t, p.paymentNo))?.status === 'SUCCESS', 15000, 50);
    expect(await orderStatus(t, orderNo)).toBe('PAID');
  });

  it('a refund: txnType 04 with origQryId, accepted, settled by its notify; order REFUNDED', async () => {
    const { userId, orderNo, amount } = await newOrder(t, 2000);
    const p = (await prepay(t, userId, orderNo, 'unionpay').expect(201)).body;
    await upPay(t, p.paymentNo).expect(200);
    await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 15000, 50);
    const r = (await refundReq(t, orderNo, { amount, reason: 'unionpay refund' }).expect(201)).body;
    await eventually(async () => (await refundRows(t, orderNo))[0]?.status === 'SUCCEEDED', 20000, 100);
    const gw = await upTrade(t, p.paymentNo);
    expect(gw.refunds).toEqual([
      expect.objectContaining({ orderId: r.refundNo, txnAmt: amount, status: 'SUCCESS' }),
    ]);
    expect(gw.refunded).toBe(amount);
    expect(await orderStatus(t, orderNo)).toBe('REFUNDED');
  });

  it('a refund whose settle job is lost is still finished by UnionPay: the first query past the delay settles it', async () => {
    const { userId, orderNo, amount } = await newOrder(t, 2100);
    const p = (await prepay(t, userId, orderNo, 'unionpay').expect(201)).body;
    await upPay(t, p.paymentNo).expect(200);
    await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 15000, 50);
    // this instance stops taking the sandbox's UnionPay jobs: the refund's settle job waits, as a lost one would
    const queue = t.app.get<Queue>(getQueueToken(QUEUES.SANDBOX_UNIONPAY_NOTIFY));
    await queue.pause(true);
    try {
      const r = (await refundReq(t, orderNo, { amount, reason: 'settle job lost' }).expect(201)).body;
      await eventually(async () => (await refundRows(t, orderNo))[0]?.status === 'SUCCEEDED', 20000, 100);
      const gw = await upTrade(t, p.paymentNo);
      expect(gw.refunds).toEqual([expect.objectContaining({ orderId: r.refundNo, status: 'SUCCESS' })]);
      // settled by the query, not by its job: the job is still there, unrun
      const settle = await queue.getJob(`up-settle:${gw.refunds[0].queryId}`);
      expect(await settle?.getState()).toMatch(/^(delayed|waiting)$/);
    } finally {
      await queue.resume(true);
    }
  });

  it('a refund UnionPay fails is FAILED, the payment keeps its money', async () => {
    const { userId, orderNo, amount } = await newOrder(t, 1500);
    const p = (await prepay(t, userId, orderNo, 'unionpay').expect(201)).body;
    await upPay(t, p.paymentNo).expect(200);
    await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 15000, 50);
    await t
      .http()
      .post(`/sandbox/unionpay/trades/${p.paymentNo}/faults`)
      .send({ refundOutcome: 'FAIL' })
      .expect(200);
    await refundReq(t, orderNo, { amount, reason: 'will fail' }).expect(201);
    await eventually(async () => (await refundRows(t, orderNo))[0]?.status === 'FAILED', 20000, 100);
    expect(await orderStatus(t, orderNo)).toBe('PAID');
    expect(Number((await paymentRow(t, p.paymentNo))!.refunded_amount)).toBe(0);
  });

  describe('with the active queries far away', () => {
    let s: TestApp;
    beforeAll(async () => {
      s = await createTestApp({ env: { ...ENV, PAYMENT_QUERY_DELAYS_MS: '600000' } });
    });
    afterAll(() => s?.close());
    const cstDate = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
    const reconcile = async (date: string) =>
      (
        await s
          .http()
          .post('/v1/admin/reconciliations')
          .set('Authorization', s.bearer('admin-1', 'admin'))
          .send({ date })
          .expect(200)
      ).body.mismatches as Array<Record<string, unknown>>;

    it("reconciliation repairs a UnionPay payment from the day's settlement file, and only that day's", async () => {
      const { userId, orderNo } = await newOrder(s);
      const p = (await prepay(s, userId, orderNo, 'unionpay').expect(201)).body;
      await upPay(s, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
      // yesterday's file (settleDate MMDD) does not hold a consume paid today
      const yesterday = await reconcile(cstDate(Date.now() - 86_400_000));
      expect(yesterday.filter((m) => m.paymentNo === p.paymentNo)).toEqual([]);
      expect((await paymentRow(s, p.paymentNo))!.status).toBe('PENDING');
      expect(await reconcile(cstDate(Date.now()))).toContainEqual({
        paymentNo: p.paymentNo,
        channel: 'unionpay',
        kind: 'paid_not_recorded',
        repaired: true,
      });
      expect((await paymentRow(s, p.paymentNo))!.status).toBe('SUCCESS');
      expect(await orderStatus(s, orderNo)).toBe('PAID');
      expect(await anomalies(s, p.paymentNo)).toEqual([]);
    });
  });
});
