import { PaymentSweeper } from '../src/payment/payment-sweeper.service';
import { eventually } from './factories/order.factory';
import { anomalies, newOrder, orderStatus, paymentRow, prepay, wxPay, wxTrade } from './payment-helpers';
import { refundReq, refundRows } from './refund-helpers';
import { createTestApp, TestApp } from './utils/test-app';

/** Queries at 0.3 s, 0.6 s, 0.9 s; a far expiry (the expiry cases move expires_at themselves). */
/** The China day of now, yyyy-MM-dd (the bill's day). */
const todayCst = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

const ENV = {
  PAYMENT_QUERY_DELAYS_MS: '300,600,900',
  SANDBOX_TIME_SCALE: '0.001',
  ALIPAY_TIMEOUT_MS: '2000',
  WECHAT_TIMEOUT_MS: '2000',
  SUBMIT_DEDUP_WINDOW_MS: '1',
  PAYMENT_SWEEP_INTERVAL_MS: '3600000',
};

/**
 * The WeChat channel through the service (issue 15): pre-pay `{"channel":"wechat"}` (code_url as qrCode,
 * one payment number on retries), active query, expiry close, switching channel (the first payment is
 * closed at its gateway first; a trade found paid there is applied instead), refunds, and the channel
 * switch refused for channels PAYMENT_CHANNELS leaves out.
 */
describe('WeChat payments through the service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: ENV });
  });
  afterAll(() => t?.close());

  it('pre-pay → 201 with the code_url, a retry → 200 with the same payment number, one WeChat transaction', async () => {
    const { userId, orderNo, amount } = await newOrder(t);
    const first = await prepay(t, userId, orderNo, 'wechat').expect(201);
    expect(first.body).toMatchObject({ channel: 'wechat', status: 'PENDING', amount, orderNo });
    expect(first.body.qrCode).toMatch(/^weixin:\/\/wxpay\//);
    const again = await Promise.all(Array.from({ length: 5 }, () => prepay(t, userId, orderNo, 'wechat')));
    for (const r of again) {
      expect(r.status).toBe(200);
      expect(r.body.paymentNo).toBe(first.body.paymentNo);
      expect(r.body.qrCode).toBe(first.body.qrCode);
    }
    const trade = await wxTrade(t, first.body.paymentNo);
    expect(trade).toMatchObject({ tradeState: 'NOTPAY', total: amount, codeUrl: first.body.qrCode });
    expect(trade.notifyUrl).toMatch(/\/v1\/callbacks\/wechat$/);
    const [{ n }] = await t.dataSource.query(
      'SELECT COUNT(*) n FROM sandbox_wechat_transaction WHERE out_trade_no LIKE ?',
      [`${orderNo}%`],
    );
    expect(Number(n)).toBe(1);
    expect(await orderStatus(t, orderNo)).toBe('PAYING');
  });

  it('a business refusal of WeChat (ORDER_CLOSED) is 422 GATEWAY_REFUSED: payment closed, order reopened, the next attempt pays', async () => {
    const o = await newOrder(t, 2100);
    // a closed WeChat trade already holds the number of the first attempt
    await t.dataSource.query(
      `INSERT INTO sandbox_wechat_transaction
         (out_trade_no, transaction_id, appid, mchid, total, description, notify_url, params_hash, code_url, trade_state)
       VALUES (?, '4200000000000000099', 'x', '1900000109', 2100, 'x', 'http://x', ?, 'weixin://x', 'CLOSED')`,
      [`${o.orderNo}P01`, '0'.repeat(64)],
    );
    const res = await prepay(t, o.userId, o.orderNo, 'wechat');
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'GATEWAY_REFUSED',
      details: { paymentNo: `${o.orderNo}P01`, gatewayCode: expect.any(String) },
    });
    expect((await paymentRow(t, `${o.orderNo}P01`))?.status).toBe('CLOSED');
    expect(await orderStatus(t, o.orderNo)).toBe('CREATED');
    const again = await prepay(t, o.userId, o.orderNo, 'wechat').expect(201);
    expect(again.body.paymentNo).toBe(`${o.orderNo}P02`);
    expect(again.body.qrCode).toMatch(/^weixin:\/\//);
  });

  it('the 100th payment attempt of one order is 409 PAYMENT_ATTEMPTS_EXHAUSTED and writes nothing', async () => {
    const o = await newOrder(t, 900);
    // 99 closed attempts (…P01 … …P99, 32 characters each: WeChat's out_trade_no limit)
    const values = Array.from({ length: 99 }, (_, i) => [
      `${o.orderNo}P${String(i + 1).padStart(2, '0')}`,
      o.orderNo,
      o.userId,
    ]);
    await t.dataSource.query(
      `INSERT INTO t_payment (payment_no, order_no, user_id, channel, amount, status, subject, expires_at)
       VALUES ${values.map(() => "(?, ?, ?, 'wechat', 900, 'CLOSED', 'x', NOW())").join(', ')}`,
      values.flat(),
    );
    for (const channel of ['wechat', 'alipay']) {
      const res = await prepay(t, o.userId, o.orderNo, channel);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({
        code: 'PAYMENT_ATTEMPTS_EXHAUSTED',
        details: { orderNo: o.orderNo, attempts: 99, max: 99 },
      });
    }
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_payment WHERE order_no = ?', [
      o.orderNo,
    ]);
    expect(Number(n)).toBe(99);
    expect(await orderStatus(t, o.orderNo)).toBe('CREATED');
  });

  it('notify dropped → the active query finds it: SUCCESS with the transaction_id, order PAID, one marker', async () => {
    const { userId, orderNo } = await newOrder(t);
    const p = (await prepay(t, userId, orderNo, 'wechat').expect(201)).body;
    const paid = (await wxPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200)).body;
    await eventually(async () => (await paymentRow(t, p.paymentNo))?.status === 'SUCCESS', 15000, 50);
    const row = (await paymentRow(t, p.paymentNo))!;
    expect(row.channel_trade_no).toBe(paid.transactionId);
    expect(await orderStatus(t, orderNo)).toBe('PAID');
    const [{ n }] = await t.dataSource.query(
      "SELECT COUNT(*) n FROM t_uq_dipose WHERE ref_type = 'PAYMENT_SUCCEEDED' AND ref_id = ?",
      [p.paymentNo],
    );
    expect(Number(n)).toBe(1);
    expect(await anomalies(t, p.paymentNo)).toEqual([]);
  });

  it('a pending payment past its expiry is closed at WeChat first; the retry gets a new payment', async () => {
    const { userId, orderNo } = await newOrder(t);
    const p1 = (await prepay(t, userId, orderNo, 'wechat').expect(201)).body;
    await t.dataSource.query('UPDATE t_payment SET expires_at = ? WHERE payment_no = ?', [
      new Date(Date.now() - 1000),
      p1.paymentNo,
    ]);
    const p2 = (await prepay(t, userId, orderNo, 'wechat').expect(201)).body;
    expect(p2.paymentNo).toBe(`${orderNo}P02`);
    expect((await paymentRow(t, p1.paymentNo))!.status).toBe('CLOSED');
    expect((await wxTrade(t, p1.paymentNo)).tradeState).toBe('CLOSED');
    expect(await orderStatus(t, orderNo)).toBe('PAYING');
  });

  it('switching channel closes the first payment at its gateway first, both ways', async () => {
    const { userId, orderNo } = await newOrder(t);
    const wx = (await prepay(t, userId, orderNo, 'wechat').expect(201)).body;
    const ali = (await prepay(t, userId, orderNo, 'alipay').expect(201)).body;
    expect(ali.paymentNo).toBe(`${orderNo}P02`);
    expect(ali.channel).toBe('alipay');
    expect((await paymentRow(t, wx.paymentNo))!.status).toBe('CLOSED');
    expect((await wxTrade(t, wx.paymentNo)).tradeState).toBe('CLOSED');
    // a closed WeChat trade cannot be paid any more
    await wxPay(t, wx.paymentNo, { notify: { mode: 'drop' } }).expect(409);
    // and back: the Alipay trade is closed, a third payment on WeChat
    const wx2 = (await prepay(t, userId, orderNo, 'wechat').expect(201)).body;
    expect(wx2.paymentNo).toBe(`${orderNo}P03`);
    expect((await paymentRow(t, ali.paymentNo))!.status).toBe('CLOSED');
    expect((await t.http().get(`/sandbox/alipay/trades/${ali.paymentNo}`).expect(200)).body.status).toBe(
      'TRADE_CLOSED',
    );
    const rows = await t.dataSource.query(
      "SELECT COUNT(*) n FROM t_payment WHERE order_no = ? AND status = 'PENDING'",
      [orderNo],
    );
    expect(Number(rows[0].n)).toBe(1);
    expect(await orderStatus(t, orderNo)).toBe('PAYING');
  });

  it('a refund of a WeChat payment: out_refund_no stored first, refunded at WeChat, order REFUNDED', async () => {
    const { userId, orderNo, amount } = await newOrder(t, 2000);
    const p = (await prepay(t, userId, orderNo, 'wechat').expect(201)).body;
    await wxPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
    await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 15000, 50);
    const r = (await refundReq(t, orderNo, { amount, reason: 'wechat refund' }).expect(201)).body;
    expect(r.paymentNo).toBe(p.paymentNo);
    await eventually(async () => (await refundRows(t, orderNo))[0]?.status === 'SUCCEEDED', 20000, 100);
    const gw = await wxTrade(t, p.paymentNo);
    expect(gw.refunds.map((x: { outRefundNo: string }) => x.outRefundNo)).toEqual([r.refundNo]);
    expect(await orderStatus(t, orderNo)).toBe('REFUNDED');
  });

  it('cancelling an order whose WeChat payment is pending closes the trade at WeChat first', async () => {
    const { userId, orderNo } = await newOrder(t);
    const p = (await prepay(t, userId, orderNo, 'wechat').expect(201)).body;
    const res = await t
      .http()
      .post(`/v1/orders/${orderNo}/cancel`)
      .set('Authorization', t.bearer(userId))
      .expect(200);
    expect(res.body.status).toBe('CANCELLED');
    expect((await paymentRow(t, p.paymentNo))!.status).toBe('CLOSED');
    expect((await wxTrade(t, p.paymentNo)).tradeState).toBe('CLOSED');
  });

  describe('expiry', () => {
    let e: TestApp;
    beforeAll(async () => {
      e = await createTestApp({
        env: { ...ENV, PAYMENT_TIMEOUT_MS: '2000', PAYMENT_QUERY_DELAYS_MS: '600000' },
      });
    });
    afterAll(() => e?.close());

    it('the expiry job closes the WeChat trade, then the payment, and reopens the order', async () => {
      const { userId, orderNo } = await newOrder(e);
      const p = (await prepay(e, userId, orderNo, 'wechat').expect(201)).body;
      await eventually(async () => (await paymentRow(e, p.paymentNo))?.status === 'CLOSED', 20000, 50);
      expect((await wxTrade(e, p.paymentNo)).tradeState).toBe('CLOSED');
      expect(await orderStatus(e, orderNo)).toBe('CREATED');
    });
  });

  describe('with the active queries far away', () => {
    let s: TestApp;
    beforeAll(async () => {
      // only the sweeper or reconciliation can find a dropped notify here
      s = await createTestApp({
        env: { ...ENV, PAYMENT_QUERY_DELAYS_MS: '600000', PAYMENT_STUCK_AFTER_MS: '1' },
      });
    });
    afterAll(() => s?.close());

    it('switching channel when the WeChat trade was paid: the close finds it paid, applies it, no second payment', async () => {
      const { userId, orderNo } = await newOrder(s);
      const wx = (await prepay(s, userId, orderNo, 'wechat').expect(201)).body;
      await wxPay(s, wx.paymentNo, { notify: { mode: 'drop' } }).expect(200);
      expect((await paymentRow(s, wx.paymentNo))!.status).toBe('PENDING'); // nobody told us yet
      const res = await prepay(s, userId, orderNo, 'alipay').expect(409);
      expect(res.body.code).toBe('ORDER_ALREADY_PAID');
      expect((await paymentRow(s, wx.paymentNo))!.status).toBe('SUCCESS');
      expect(await orderStatus(s, orderNo)).toBe('PAID');
      const rows = await s.dataSource.query('SELECT payment_no FROM t_payment WHERE order_no = ?', [orderNo]);
      expect(rows.map((r: { payment_no: string }) => r.payment_no)).toEqual([wx.paymentNo]);
      const [{ n }] = await s.dataSource.query(
        'SELECT COUNT(*) n FROM sandbox_trade WHERE out_trade_no LIKE ?',
        [`${orderNo}%`],
      );
      expect(Number(n)).toBe(0);
    });

    it('the sweeper queries a stuck WeChat payment and pays it through the success path', async () => {
      const { userId, orderNo } = await newOrder(s);
      const wx = (await prepay(s, userId, orderNo, 'wechat').expect(201)).body;
      const paid = (await wxPay(s, wx.paymentNo, { notify: { mode: 'drop' } }).expect(200)).body;
      await s.app.get(PaymentSweeper).sweep(1000);
      const row = (await paymentRow(s, wx.paymentNo))!;
      expect(row.status).toBe('SUCCESS');
      expect(row.channel_trade_no).toBe(paid.transactionId);
      expect(await orderStatus(s, orderNo)).toBe('PAID');
    });

    it("reconciliation repairs a WeChat payment from WeChat's bill", async () => {
      const { userId, orderNo } = await newOrder(s);
      const wx = (await prepay(s, userId, orderNo, 'wechat').expect(201)).body;
      await wxPay(s, wx.paymentNo, { notify: { mode: 'drop' } }).expect(200);
      const res = await s
        .http()
        .post('/v1/admin/reconciliations')
        .set('Authorization', s.bearer('admin-1', 'admin'))
        .send({ date: todayCst() })
        .expect(200);
      expect(res.body.mismatches).toContainEqual({
        paymentNo: wx.paymentNo,
        channel: 'wechat',
        kind: 'paid_not_recorded',
        repaired: true,
      });
      expect((await paymentRow(s, wx.paymentNo))!.status).toBe('SUCCESS');
      expect(await orderStatus(s, orderNo)).toBe('PAID');
      expect(await anomalies(s, wx.paymentNo)).toEqual([]);
    });
  });

  describe('a channel left out of PAYMENT_CHANNELS', () => {
    let s: TestApp;
    beforeAll(async () => {
      s = await createTestApp({ env: { ...ENV, PAYMENT_CHANNELS: 'alipay,wallet' } });
    });
    afterAll(() => s?.close());

    it('is 400 VALIDATION_FAILED (reason CHANNEL_NOT_ENABLED) and changes nothing', async () => {
      const { userId, orderNo } = await newOrder(s);
      const res = await prepay(s, userId, orderNo, 'wechat').expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toMatchObject({ reason: 'CHANNEL_NOT_ENABLED', channel: 'wechat' });
      expect(await orderStatus(s, orderNo)).toBe('CREATED');
      const [{ n }] = await s.dataSource.query('SELECT COUNT(*) n FROM t_payment WHERE order_no = ?', [
        orderNo,
      ]);
      expect(Number(n)).toBe(0);
      await prepay(s, userId, orderNo, 'alipay').expect(201);
    });
  });
});
