import {
  balance,
  CALLBACK_ENV,
  dedupRows,
  orderStatus,
  paymentStatus,
  postNotify,
  rechargeWithPayment,
  signedNotify,
  signedWechatNotify,
  waitFor,
  yuan,
} from './callback-support';
import { newOrder, prepay } from './payment-helpers';
import { consumeNotify, postUp, upKeys, upSign } from './unionpay-helpers';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

const BUFFERED = { ...CALLBACK_ENV, CALLBACK_MODE: 'buffered' };

async function bufferRows(t: TestApp, paymentNo: string) {
  return t.dataSource.query(
    'SELECT outcome, verified, dedup, applied_at FROM t_callback_log WHERE out_trade_no = ? ORDER BY id',
    [paymentNo],
  ) as Promise<Array<{ outcome: string; verified: number; dedup: number | null; applied_at: Date | null }>>;
}

describe('CALLBACK_MODE=buffered, two instances on one database', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp({ env: BUFFERED });
    b = await createTestApp({ dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true, env: BUFFERED });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a storm of 30 copies across both instances → one log row, applied once, credited once', async () => {
    const u = `u-buf-${randomSuffix()}`;
    const p = await rechargeWithPayment(a, u, 2500);
    const notify = await signedNotify(a.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(2500) });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => postNotify(i % 2 ? a : b, notify)),
    );
    expect(answers).toEqual(Array(30).fill('success'));
    // every copy was appended (or skipped by INSERT IGNORE) before its answer: no late row can come; the
    // worker's apply writes the row's outcome in the transaction that pays the order
    await waitFor(async () => (await orderStatus(a, p.orderNo)) === 'PAID', 'order PAID');
    const rows = await bufferRows(a, p.paymentNo);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ outcome: 'APPLIED', verified: 1, dedup: 1 });
    expect(rows[0].applied_at).not.toBeNull();
    expect(await paymentStatus(a, p.paymentNo)).toBe('SUCCESS');
    expect(await balance(a, u)).toBe(2500);
    expect(await dedupRows(a, 'PAYMENT_SUCCEEDED', p.paymentNo)).toBe(1);
    expect(await dedupRows(a, 'ORDER_PAID', p.orderNo)).toBe(1);
  });

  it('a later status of the same trade (TRADE_CLOSED) is a row of its own', async () => {
    const p = await rechargeWithPayment(a, `u-buf-${randomSuffix()}`, 100);
    const notify = await signedNotify(a.dataSource, {
      outTradeNo: p.paymentNo,
      totalAmount: yuan(100),
      tradeStatus: 'TRADE_CLOSED',
      notifyId: 'same-id-for-both',
    });
    const paid = await signedNotify(a.dataSource, {
      outTradeNo: p.paymentNo,
      totalAmount: yuan(100),
      notifyId: 'same-id-for-both',
    });
    expect(await postNotify(a, paid)).toBe('success');
    expect(await postNotify(a, notify)).toBe('success');
    await waitFor(async () => (await bufferRows(a, p.paymentNo)).every((r) => r.applied_at), 'both applied');
    expect((await bufferRows(a, p.paymentNo)).map((r) => r.outcome)).toEqual([
      'APPLIED',
      'REFUND_OR_LATE_CLOSE',
    ]);
    expect(await paymentStatus(a, p.paymentNo)).toBe('SUCCESS');
  });

  it('a forged notify → fail, logged without taking the unique slot; the genuine one still applies', async () => {
    const p = await rechargeWithPayment(a, `u-buf-${randomSuffix()}`, 300);
    const genuine = await signedNotify(a.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(300) });
    const forged = { ...genuine, total_amount: yuan(1) }; // same notify_id, signature no longer matches
    expect(await postNotify(a, forged)).toBe('fail');
    expect(await bufferRows(a, p.paymentNo)).toEqual([
      expect.objectContaining({ outcome: 'BAD_SIGNATURE', verified: 0, dedup: null }),
    ]);
    expect(await postNotify(a, genuine)).toBe('success');
    await waitFor(async () => (await paymentStatus(a, p.paymentNo)) === 'SUCCESS', 'payment SUCCESS');
  });

  it('a notify for a trade not known yet is accepted, kept, and applied once the payment exists', async () => {
    const p = await rechargeWithPayment(a, `u-buf-${randomSuffix()}`, 400);
    const notify = await signedNotify(a.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(400) });
    // hide the payment row as if our own pre-pay commit had not landed yet
    await a.dataSource.query(
      "UPDATE t_payment SET payment_no = CONCAT('X', payment_no) WHERE payment_no = ?",
      [p.paymentNo],
    );
    expect(await postNotify(a, notify)).toBe('success');
    await waitFor(
      async () => (await bufferRows(a, p.paymentNo))[0]?.outcome === 'UNKNOWN_TRADE',
      'tried once',
    );
    expect((await bufferRows(a, p.paymentNo))[0].applied_at).toBeNull();
    await a.dataSource.query('UPDATE t_payment SET payment_no = ? WHERE payment_no = ?', [
      p.paymentNo,
      `X${p.paymentNo}`,
    ]);
    await waitFor(
      async () => (await paymentStatus(a, p.paymentNo)) === 'SUCCESS',
      'applied on a retry',
      30000,
    );
    await waitFor(async () => (await orderStatus(a, p.orderNo)) === 'PAID', 'order PAID');
  });

  it('UnionPay (its body carries its signature): 20 copies over both instances → one buffered row, applied once', async () => {
    const o = await newOrder(a, 2600);
    const p = (await prepay(a, o.userId, o.orderNo, 'unionpay').expect(201)).body;
    const fields = upSign(consumeNotify(p.paymentNo, 2600), (await upKeys(a)).gateway);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => postUp(i % 2 ? a : b, fields)));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    await waitFor(async () => (await bufferRows(a, p.paymentNo))[0]?.applied_at, 'applied by the worker');
    expect(await bufferRows(a, p.paymentNo)).toEqual([
      expect.objectContaining({ outcome: 'APPLIED', verified: 1, dedup: 1 }),
    ]);
    expect(await dedupRows(a, 'PAYMENT_SUCCEEDED', p.paymentNo)).toBe(1);
    expect(await orderStatus(a, o.orderNo)).toBe('PAID');
  });

  it('WeChat (its signature is in headers) is applied in the request even in buffered mode', async () => {
    const o = await newOrder(a, 1700);
    const p = (await prepay(a, o.userId, o.orderNo, 'wechat').expect(201)).body;
    const n = await signedWechatNotify(a.dataSource, 'TRANSACTION.SUCCESS', {
      appid: 'wxd678efh567hg6787',
      mchid: '1900000109',
      out_trade_no: p.paymentNo,
      transaction_id: `4200${Date.now()}`,
      trade_state: 'SUCCESS',
      amount: { total: 1700 },
      success_time: new Date().toISOString(),
    });
    await b.http().post('/v1/callbacks/wechat').set(n.headers).send(n.body).expect(204);
    // answered after the commit: paid already, and its row is a plain receipt (not a buffered one)
    expect(await paymentStatus(a, p.paymentNo)).toBe('SUCCESS');
    expect(await bufferRows(a, p.paymentNo)).toEqual([
      expect.objectContaining({ outcome: 'APPLIED', verified: 1, dedup: null }),
    ]);
  });
});

describe('CALLBACK_MODE=buffered with Redis unreachable', () => {
  it('appends and applies with MySQL alone', async () => {
    const up = await createTestApp({ env: CALLBACK_ENV });
    const down = await createTestApp({
      dbName: up.dbName,
      keepDb: true,
      env: { ...BUFFERED, REDIS_URL: 'redis://127.0.0.1:6390', REDIS_COMMAND_TIMEOUT_MS: '300' },
    });
    try {
      const p = await rechargeWithPayment(up, `u-buf-${randomSuffix()}`, 700); // submits need Redis
      const notify = await signedNotify(down.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(700) });
      const answers = await Promise.all(Array.from({ length: 5 }, () => postNotify(down, notify)));
      expect(answers).toEqual(Array(5).fill('success'));
      // the log row is finished after the success commit: wait for it, not for the payment
      await waitFor(
        async () => (await bufferRows(down, p.paymentNo))[0]?.applied_at,
        'applied by the worker',
      );
      expect(await bufferRows(down, p.paymentNo)).toEqual([
        expect.objectContaining({ outcome: 'APPLIED', dedup: 1 }),
      ]);
      expect(await paymentStatus(down, p.paymentNo)).toBe('SUCCESS');
    } finally {
      await down.close();
      await up.close();
    }
  });
});
