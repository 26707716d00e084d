import {
  anomalies,
  balance,
  CALLBACK_ENV,
  dedupRows,
  logOutcomes,
  orderStatus,
  paymentStatus,
  postNotify,
  rechargeWithPayment,
  signedNotify,
  duplicatesCounted,
  waitFor,
  yuan,
} from './callback-support';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

describe('POST /v1/callbacks/alipay (sync mode)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: CALLBACK_ENV });
  });
  afterAll(() => t.close());

  const user = () => `u-cb-${randomSuffix()}`;

  it('10 concurrent copies of one notify: paid once, order PAID once, wallet credited once', async () => {
    const u = user();
    const p = await rechargeWithPayment(t, u, 1234);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(1234) });
    const answers = await Promise.all(Array.from({ length: 10 }, () => postNotify(t, notify)));
    expect(answers).toEqual(Array(10).fill('success'));
    expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
    // every effect (order PAID, the credit) is in the notify's own transaction, committed before the
    // answer: nothing can show up later, so no wait
    expect(await orderStatus(t, p.orderNo)).toBe('PAID');
    expect(await balance(t, u)).toBe(1234);
    expect(await dedupRows(t, 'PAYMENT_SUCCEEDED', p.paymentNo)).toBe(1);
    expect(await dedupRows(t, 'ORDER_PAID', p.orderNo)).toBe(1);
    // one log row per receipt that raced the apply (APPLIED once, the losers DUPLICATE); a copy that
    // arrived after the commit was answered ALREADY_PAID from one read and wrote nothing
    const outcomes = await logOutcomes(t, p.paymentNo);
    expect(outcomes.length).toBeLessThanOrEqual(10);
    expect(outcomes.filter((o) => o === 'APPLIED')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'APPLIED' && o !== 'DUPLICATE')).toEqual([]);
    const [ob] = await t.dataSource.query('SELECT COUNT(*) AS n FROM t_outbox WHERE event_key = ?', [
      p.paymentNo,
    ]);
    expect(Number(ob.n)).toBe(1);
  });

  it('a copy after the commit is ALREADY_PAID: no log row, counted in oncepay_callback_duplicates_total', async () => {
    const p = await rechargeWithPayment(t, user(), 640);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(640) });
    expect(await postNotify(t, notify)).toBe('success');
    const before = await duplicatesCounted(t, 'alipay');
    expect(await postNotify(t, notify)).toBe('success');
    expect(await postNotify(t, notify)).toBe('success');
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['APPLIED']);
    expect(await duplicatesCounted(t, 'alipay')).toBe(before + 2);
  });

  it("sandbox 'duplicate' mode: 6 concurrent deliveries, credited once, every copy acked", async () => {
    const u = user();
    const p = await rechargeWithPayment(t, u, 500);
    await t
      .http()
      .post(`/sandbox/alipay/trades/${p.paymentNo}/pay`)
      .send({ notify: { mode: 'duplicate', times: 6 } })
      .expect(200);
    await waitFor(async () => (await orderStatus(t, p.orderNo)) === 'PAID', 'order PAID');
    const trade = await waitFor(async () => {
      const r = await t.http().get(`/sandbox/alipay/trades/${p.paymentNo}`).expect(200);
      const attempts = r.body.attempts as Array<{ outcome: string }>;
      return attempts.length >= 6 && attempts.every((a) => a.outcome !== 'SENDING') ? r.body : null;
    }, 'all copies delivered');
    expect(trade.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(Array(6).fill('ACKED'));
    expect(await balance(t, u)).toBe(500);
    expect(await dedupRows(t, 'PAYMENT_SUCCEEDED', p.paymentNo)).toBe(1);
    expect(await dedupRows(t, 'ORDER_PAID', p.orderNo)).toBe(1);
  });

  it('forged signature → fail, nothing changes, the receipt is logged as BAD_SIGNATURE', async () => {
    const p = await rechargeWithPayment(t, user(), 700);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(700) });
    notify.sign = notify.sign.slice(0, 20) + (notify.sign[20] === 'A' ? 'B' : 'A') + notify.sign.slice(21);
    expect(await postNotify(t, notify)).toBe('fail');
    // a valid signature over different content is a forgery too
    const other = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(700) });
    expect(await postNotify(t, { ...other, total_amount: yuan(1) })).toBe('fail');
    expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
    expect(await dedupRows(t, 'PAYMENT_SUCCEEDED', p.paymentNo)).toBe(0);
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['BAD_SIGNATURE', 'BAD_SIGNATURE']);
    const rows = await t.dataSource.query(
      'SELECT verified, raw_body FROM t_callback_log WHERE out_trade_no = ?',
      [p.paymentNo],
    );
    expect(rows.map((r: { verified: number }) => Number(r.verified))).toEqual([0, 0]);
    expect(rows[0].raw_body).toContain('notify_id=');
  });

  it("sandbox 'bad_sign' mode: the forged delivery is refused, the gateway's re-send is applied", async () => {
    const u = user();
    const p = await rechargeWithPayment(t, u, 350);
    await t
      .http()
      .post(`/sandbox/alipay/trades/${p.paymentNo}/pay`)
      .send({ notify: { mode: 'bad_sign' } })
      .expect(200);
    // wait for exactly what is asserted: the re-send's log row carries its outcome
    await waitFor(
      async () => (await logOutcomes(t, p.paymentNo)).includes('APPLIED'),
      'the re-send logged as APPLIED',
    );
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['BAD_SIGNATURE', 'APPLIED']);
    expect(await orderStatus(t, p.orderNo)).toBe('PAID');
    expect(await balance(t, u)).toBe(350);
  });

  it("sandbox 'amount_mismatch' mode: acknowledged, recorded, never paid", async () => {
    const p = await rechargeWithPayment(t, user(), 450);
    await t
      .http()
      .post(`/sandbox/alipay/trades/${p.paymentNo}/pay`)
      .send({ notify: { mode: 'amount_mismatch' } })
      .expect(200);
    // the sandbox re-sends only a notify that was not acknowledged: once its one attempt is ACKED there
    // is nothing more to wait for
    const trade = await waitFor(async () => {
      const r = await t.http().get(`/sandbox/alipay/trades/${p.paymentNo}`).expect(200);
      const attempts = r.body.attempts as Array<{ outcome: string }>;
      return attempts.length > 0 && attempts.every((a) => a.outcome !== 'SENDING') ? r.body : null;
    }, 'the notify delivered');
    expect(trade.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['ACKED']);
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['AMOUNT_MISMATCH']);
    expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
    expect(await anomalies(t, p.paymentNo)).toEqual(['AMOUNT_MISMATCH']);
  });

  it('is in Swagger, with the admin reconciliation route', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    expect(res.body.paths['/v1/callbacks/alipay'].post.requestBody.content).toHaveProperty(
      'application/x-www-form-urlencoded',
    );
    expect(res.body.paths['/v1/admin/reconciliations'].post.responses).toHaveProperty('200');
  });

  it('counts answers and outcomes in /metrics', async () => {
    const res = await t.http().get('/metrics').expect(200);
    expect(res.text).toMatch(
      /oncepay_callback_answers_total\{channel="alipay",mode="sync",answer="accepted"\} [1-9]/,
    );
    expect(res.text).toMatch(/oncepay_callback_outcomes_total\{channel="alipay",outcome="APPLIED"\} [1-9]/);
    expect(res.text).toMatch(/oncepay_outbox_publish_total\{result="sent"\} [1-9]/);
  });

  it('validly signed but tampered amount → success, never paid, anomaly amount_mismatch', async () => {
    const p = await rechargeWithPayment(t, user(), 800);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(801) });
    expect(await postNotify(t, notify)).toBe('success');
    expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
    expect(await anomalies(t, p.paymentNo)).toEqual(['AMOUNT_MISMATCH']);
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['AMOUNT_MISMATCH']);
    // a non-canonical amount text ('8.0' vs '8.00' is fine; '8.001' is not an amount) is a mismatch too
    const odd = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: '8.001' });
    expect(await postNotify(t, odd)).toBe('success');
    expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
  });

  it('amount written differently but equal ("8" for 800 fen) is accepted', async () => {
    const p = await rechargeWithPayment(t, user(), 800);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: '8' });
    expect(await postNotify(t, notify)).toBe('success');
    expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
  });

  it('wrong app_id → success, never paid, anomaly app_mismatch', async () => {
    const p = await rechargeWithPayment(t, user(), 900);
    const notify = await signedNotify(t.dataSource, {
      outTradeNo: p.paymentNo,
      totalAmount: yuan(900),
      appId: '2021999999999999',
    });
    expect(await postNotify(t, notify)).toBe('success');
    expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
    expect(await anomalies(t, p.paymentNo)).toEqual(['APP_MISMATCH']);
  });

  it('unknown out_trade_no → fail (the gateway re-sends), nothing written but the log', async () => {
    const ghost = `P${Date.now()}GHOST${randomSuffix()}`;
    const notify = await signedNotify(t.dataSource, { outTradeNo: ghost, totalAmount: '1.00' });
    expect(await postNotify(t, notify)).toBe('fail');
    expect(await logOutcomes(t, ghost)).toEqual(['UNKNOWN_TRADE']);
    expect(await dedupRows(t, 'PAYMENT_SUCCEEDED', ghost)).toBe(0);
  });

  it('TRADE_CLOSED arriving after the success → success, stays paid, recorded as refund_or_late_close', async () => {
    const u = user();
    const p = await rechargeWithPayment(t, u, 600);
    const paid = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(600) });
    expect(await postNotify(t, paid)).toBe('success');
    await waitFor(async () => (await orderStatus(t, p.orderNo)) === 'PAID', 'order PAID');
    const closed = await signedNotify(t.dataSource, {
      outTradeNo: p.paymentNo,
      totalAmount: yuan(600),
      tradeStatus: 'TRADE_CLOSED',
    });
    expect(await postNotify(t, closed)).toBe('success');
    expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
    expect(await orderStatus(t, p.orderNo)).toBe('PAID');
    expect(await balance(t, u)).toBe(600);
    expect(await anomalies(t, p.paymentNo)).toEqual(['REFUND_OR_LATE_CLOSE']);
  });

  it('TRADE_CLOSED for a PENDING payment closes it (CAS) and gives the order back; a re-send is a no-op', async () => {
    const p = await rechargeWithPayment(t, user(), 250);
    const closed = await signedNotify(t.dataSource, {
      outTradeNo: p.paymentNo,
      totalAmount: yuan(250),
      tradeStatus: 'TRADE_CLOSED',
    });
    expect(await postNotify(t, closed)).toBe('success');
    expect(await paymentStatus(t, p.paymentNo)).toBe('CLOSED');
    expect(await orderStatus(t, p.orderNo)).toBe('CREATED');
    expect(await postNotify(t, closed)).toBe('success');
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['CLOSED', 'ALREADY_CLOSED']);
  });

  it("sandbox 'out_of_order' mode: the stale close after the success changes nothing", async () => {
    const u = user();
    const p = await rechargeWithPayment(t, u, 300);
    await t
      .http()
      .post(`/sandbox/alipay/trades/${p.paymentNo}/pay`)
      .send({ notify: { mode: 'out_of_order' } })
      .expect(200);
    await waitFor(
      async () => (await logOutcomes(t, p.paymentNo)).includes('REFUND_OR_LATE_CLOSE'),
      'stale close',
    );
    await waitFor(async () => (await orderStatus(t, p.orderNo)) === 'PAID', 'order PAID');
    expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
    expect(await balance(t, u)).toBe(300);
  });

  it('a repeated paid notify for a SUCCESS payment is answered from one read, with no write (ALREADY_PAID)', async () => {
    const p = await rechargeWithPayment(t, user(), 200);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(200) });
    expect(await postNotify(t, notify)).toBe('success');
    // the first notify: one commit wrote the payment, the order and the log row with its outcome
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['APPLIED']);
    expect(await orderStatus(t, p.orderNo)).toBe('PAID');
    expect(await postNotify(t, notify)).toBe('success');
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['APPLIED']);
    const res = await t.http().get('/metrics').expect(200);
    expect(res.text).toMatch(
      /oncepay_callback_outcomes_total\{channel="alipay",outcome="ALREADY_PAID"\} [1-9]/,
    );
  });

  it('malformed bodies → fail and logged', async () => {
    expect(await postNotify(t, 'hello=world')).toBe('fail');
    expect(await postNotify(t, '')).toBe('fail');
    const rows = await t.dataSource.query(
      "SELECT COUNT(*) AS n FROM t_callback_log WHERE outcome = 'MALFORMED' AND raw_body IN ('hello=world', '')",
    );
    expect(Number(rows[0].n)).toBe(2);
  });

  it('a commit that fails → fail and nothing half-done; the re-send then applies', async () => {
    const p = await rechargeWithPayment(t, user(), 400);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(400) });
    await t.dataSource.query(
      `CREATE TRIGGER t_payment_fail_once BEFORE UPDATE ON t_payment FOR EACH ROW
         SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'`,
    );
    try {
      expect(await postNotify(t, notify)).toBe('fail');
    } finally {
      await t.dataSource.query('DROP TRIGGER t_payment_fail_once');
    }
    expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
    expect(await dedupRows(t, 'PAYMENT_SUCCEEDED', p.paymentNo)).toBe(0);
    expect(await postNotify(t, notify)).toBe('success');
    expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['ERROR', 'APPLIED']);
  });

  it('the callback log unwritable (database trouble) → fail', async () => {
    const p = await rechargeWithPayment(t, user(), 100);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(100) });
    await t.dataSource.query('RENAME TABLE t_callback_log TO t_callback_log_away');
    try {
      expect(await postNotify(t, notify)).toBe('fail');
    } finally {
      await t.dataSource.query('RENAME TABLE t_callback_log_away TO t_callback_log');
    }
    expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
  });
});
