import { PaymentSuccessService } from '../src/payment/payment-success.service';
import { eventually } from './factories/order.factory';
import { anomalies, newOrder, orderStatus, paymentRow, prepay, sandboxPay } from './payment-helpers';
import { createTestApp, TestApp } from './utils/test-app';
import { expectLedgerBalanced, seedWallet } from './ledger-helpers';

/** Short payments: queries at 0.3 s, 0.6 s, 0.9 s, 1.5 s; expiry (close) at 2 s. */
const ENV = {
  PAYMENT_QUERY_DELAYS_MS: '300,600,900',
  PAYMENT_TIMEOUT_MS: '2000',
  SANDBOX_TIME_SCALE: '0.001',
  ALIPAY_TIMEOUT_MS: '1000',
  SUBMIT_DEDUP_WINDOW_MS: '1',
  PAYMENT_SWEEP_INTERVAL_MS: '3600000',
};

describe('payment expiry, close and pay-after-close', () => {
  let t: TestApp;
  const trade = async (no: string) => (await t.http().get(`/sandbox/alipay/trades/${no}`).expect(200)).body;

  beforeAll(async () => {
    t = await createTestApp({ env: ENV });
  });
  afterAll(() => t?.close());

  /** Pays a closed trade at the sandbox (no notify), then applies it as `n` concurrent callbacks would. */
  async function payAfterClose(paymentNo: string, amount: number, n = 5) {
    await sandboxPay(t, paymentNo, { notify: { mode: 'drop' } }).expect(409);
    const paid = (
      await sandboxPay(t, paymentNo, { allowAfterClose: true, notify: { mode: 'drop' } }).expect(200)
    ).body;
    expect(paid.paidAfterClose).toBe(true);
    const svc = t.app.get(PaymentSuccessService);
    const input = {
      paymentNo,
      channel: 'alipay' as const,
      channelTradeNo: paid.tradeNo,
      amount,
      paidAt: new Date(),
      source: 'callback' as const,
    };
    return Promise.all(Array.from({ length: n }, () => svc.applySuccess(input)));
  }

  it('expiry closes the trade and reopens the order; a pay-after-close is accepted exactly once', async () => {
    const { userId, orderNo, amount } = await newOrder(t);
    const p = (await prepay(t, userId, orderNo).expect(201)).body;
    await eventually(async () => (await paymentRow(t, p.paymentNo))!.status === 'CLOSED', 15000, 50);
    expect((await paymentRow(t, p.paymentNo))!.closed_at).toBeInstanceOf(Date);
    expect(await orderStatus(t, orderNo)).toBe('CREATED');
    expect((await trade(p.paymentNo)).status).toBe('TRADE_CLOSED');

    const outcomes = await payAfterClose(p.paymentNo, amount);
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(4);
    expect((await paymentRow(t, p.paymentNo))!.status).toBe('SUCCESS');
    expect(await anomalies(t, p.paymentNo)).toEqual(['PAID_AFTER_CLOSE']);
    // the order was still CREATED: the late money fulfils it
    await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 10000, 50);
  });

  it('a pre-pay finding its pending payment past expiry closes it first and starts a new one', async () => {
    const { userId, orderNo } = await newOrder(t);
    const p1 = (await prepay(t, userId, orderNo).expect(201)).body;
    await t.dataSource.query('UPDATE t_payment SET expires_at = ? WHERE payment_no = ?', [
      new Date(Date.now() - 1000),
      p1.paymentNo,
    ]);
    const p2 = (await prepay(t, userId, orderNo).expect(201)).body;
    expect(p2.paymentNo).toBe(`${orderNo}P02`);
    expect((await paymentRow(t, p1.paymentNo))!.status).toBe('CLOSED');
    expect((await trade(p1.paymentNo)).status).toBe('TRADE_CLOSED');
    expect(await orderStatus(t, orderNo)).toBe('PAYING');
  });

  it('an order that expired meanwhile is cancelled at the close; a late payment is an anomaly, the order stays cancelled', async () => {
    const { userId, orderNo, amount } = await newOrder(t);
    const p = (await prepay(t, userId, orderNo).expect(201)).body;
    await t.dataSource.query('UPDATE t_order SET expires_at = ? WHERE order_no = ?', [
      new Date(Date.now() - 1000),
      orderNo,
    ]);
    await eventually(async () => (await paymentRow(t, p.paymentNo))!.status === 'CLOSED', 15000, 50);
    expect(await orderStatus(t, orderNo)).toBe('CANCELLED');

    const outcomes = await payAfterClose(p.paymentNo, amount, 3);
    expect(outcomes.sort()).toEqual(['applied', 'duplicate', 'duplicate']);
    expect(await anomalies(t, p.paymentNo)).toEqual(['PAID_AFTER_CLOSE_UNFULFILLABLE']);
    // the applies above are done (awaited): the order side ran in their transactions, nothing comes later
    expect(await orderStatus(t, orderNo)).toBe('CANCELLED');
  });

  it('the order paid from the wallet after the close: the late alipay money is a DUPLICATE_PAYMENT anomaly', async () => {
    const { userId, orderNo, amount } = await newOrder(t);
    const p = (await prepay(t, userId, orderNo).expect(201)).body;
    await eventually(async () => (await paymentRow(t, p.paymentNo))!.status === 'CLOSED', 15000, 50);
    await seedWallet(t, userId, amount);
    await prepay(t, userId, orderNo, 'wallet').expect(201);
    expect(await orderStatus(t, orderNo)).toBe('PAID');
    const outcomes = await payAfterClose(p.paymentNo, amount, 2);
    expect(outcomes.sort()).toEqual(['applied', 'duplicate']);
    expect(await anomalies(t, p.paymentNo)).toEqual(['DUPLICATE_PAYMENT']);
    expect(await orderStatus(t, orderNo)).toBe('PAID');
  });

  it('a close that fails is retried; a scanned trade gets a TRADE_CLOSED notify', async () => {
    const { userId, orderNo } = await newOrder(t);
    const p = (await prepay(t, userId, orderNo).expect(201)).body;
    await t.http().post(`/sandbox/alipay/trades/${p.paymentNo}/scan`).expect(200);
    await t
      .http()
      .post(`/sandbox/alipay/trades/${p.paymentNo}/faults`)
      .send({ close: 'system_error', times: 1 })
      .expect(200);
    const seen = new Set<string>();
    await eventually(
      async () => {
        // one statement, one snapshot: two separate reads could straddle the close's commit
        const [row] = await t.dataSource.query(
          `SELECT p.status AS ps, o.status AS os FROM t_payment p JOIN t_order o ON o.order_no = p.order_no
            WHERE p.payment_no = ?`,
          [p.paymentNo],
        );
        seen.add(`${row.ps}/${row.os}`);
        return row.ps === 'CLOSED';
      },
      20000,
      50,
    );
    // while the close was unknown nothing moved
    for (const s of seen) expect(['PENDING/PAYING', 'CLOSED/CREATED']).toContain(s);
    expect(await orderStatus(t, orderNo)).toBe('CREATED');
    // the TRADE_CLOSED notify leaves the sandbox's queue after the close has answered: wait for its attempt
    const tr = await eventually(async () => {
      const x = await trade(p.paymentNo);
      return x.attempts.some((a: { tradeStatus: string }) => a.tradeStatus === 'TRADE_CLOSED') ? x : null;
    });
    expect(tr.status).toBe('TRADE_CLOSED');
    expect(tr.closeFault).toBeNull(); // the fault was served: the first close really failed
    // the order can be paid again with a new payment number
    const again = await prepay(t, userId, orderNo).expect(201);
    expect(again.body.paymentNo).toBe(`${orderNo}P02`);
  });

  it('paid but every query failed: the close answers TRADE_STATUS_ERROR, the payment succeeds, never closes', async () => {
    const { userId, orderNo } = await newOrder(t);
    const p = (await prepay(t, userId, orderNo).expect(201)).body;
    await t
      .http()
      .post(`/sandbox/alipay/trades/${p.paymentNo}/faults`)
      .send({ query: 'system_error', times: 4 })
      .expect(200);
    await sandboxPay(t, p.paymentNo, { notify: { mode: 'drop' } }).expect(200);
    const seen = new Set<string>();
    await eventually(
      async () => {
        const s = (await paymentRow(t, p.paymentNo))!.status;
        seen.add(s);
        return s === 'SUCCESS';
      },
      20000,
      25,
    );
    expect(seen.has('CLOSED')).toBe(false);
    expect((await paymentRow(t, p.paymentNo))!.closed_at).toBeNull();
    const tr = await trade(p.paymentNo);
    expect(tr.status).toBe('TRADE_SUCCESS');
    expect(tr.queryFault).toBeNull(); // the four scheduled queries all failed: the expiry's own query found it
    await eventually(async () => (await orderStatus(t, orderNo)) === 'PAID', 10000, 50);
    expect(await anomalies(t, p.paymentNo)).toEqual([]);
  });

  it('the ledger is balanced after every movement of this suite', () => expectLedgerBalanced(t));
});
