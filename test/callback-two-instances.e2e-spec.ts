import {
  balance,
  CALLBACK_ENV,
  dedupRows,
  orderStatus,
  paymentStatus,
  postNotify,
  rechargeWithPayment,
  signedNotify,
  yuan,
} from './callback-support';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/** Sync mode, two instances on one database: a storm of copies split across both applies once. */
describe('POST /v1/callbacks/alipay across two instances (sync mode)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await createTestApp({ env: CALLBACK_ENV });
    b = await createTestApp({
      env: CALLBACK_ENV,
      dbName: a.dbName,
      redisPrefix: a.redisPrefix,
      keepDb: true,
    });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('40 concurrent copies over two instances: payment SUCCESS once, order PAID once, credited once', async () => {
    const user = `u-cb2-${randomSuffix()}`;
    const p = await rechargeWithPayment(a, user, 4321);
    const notify = await signedNotify(a.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(4321) });
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => postNotify(i % 2 ? a : b, notify)),
    );
    expect(answers).toEqual(Array(40).fill('success'));
    expect(await paymentStatus(a, p.paymentNo)).toBe('SUCCESS');
    // the order side and the credit are in the notify's own transaction, committed before its answer
    expect(await orderStatus(a, p.orderNo)).toBe('PAID');
    expect(await balance(a, user)).toBe(4321);
    expect(await dedupRows(a, 'PAYMENT_SUCCEEDED', p.paymentNo)).toBe(1);
    expect(await dedupRows(a, 'ORDER_PAID', p.orderNo)).toBe(1);
    const [ob] = await a.dataSource.query('SELECT COUNT(*) AS n FROM t_outbox WHERE event_key = ?', [
      p.paymentNo,
    ]);
    expect(Number(ob.n)).toBe(1);
  });
});
