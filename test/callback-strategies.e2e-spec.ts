import {
  anomalies,
  balance,
  CALLBACK_ENV,
  logOutcomes,
  orderStatus,
  paymentStatus,
  postNotify,
  rechargeWithPayment,
  signedNotify,
  waitFor,
  yuan,
} from './callback-support';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/**
 * A validly signed notify whose amount is not the payment's (¥0.01 for ¥50.00), 5 concurrent copies:
 * under every strategy it is never paid and leaves one anomaly row. The check lives in the one function
 * that pays (PaymentSuccessService.applyIn), so the demonstration strategies inherit it too.
 */
async function wrongAmountNeverPays(t: TestApp): Promise<void> {
  const u = `u-st-${randomSuffix()}`;
  const p = await rechargeWithPayment(t, u, 5000);
  const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(1) });
  const answers = await Promise.all(Array.from({ length: 5 }, () => postNotify(t, notify)));
  expect(answers).toEqual(Array(5).fill('success'));
  expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
  expect(await orderStatus(t, p.orderNo)).toBe('PAYING');
  expect(await anomalies(t, p.paymentNo)).toEqual(['AMOUNT_MISMATCH']);
  expect(await logOutcomes(t, p.paymentNo)).toEqual(Array(5).fill('AMOUNT_MISMATCH'));
  expect(await balance(t, u)).toBe(0);
}

/**
 * The dedup strategies that claim to be safe on one instance, each under 10 concurrent copies.
 * check_then_act is the demonstration of the race: it pays a single notify correctly and loses the race
 * under concurrent copies.
 */
describe.each(['for_update', 'optimistic', 'mutex', 'unique_key'])(
  'CALLBACK_DEDUP_STRATEGY=%s',
  (strategy) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ env: { ...CALLBACK_ENV, CALLBACK_DEDUP_STRATEGY: strategy } });
    });
    afterAll(() => t.close());

    it('10 concurrent copies → SUCCESS once (one APPLIED), order PAID, credited once', async () => {
      const u = `u-st-${randomSuffix()}`;
      const p = await rechargeWithPayment(t, u, 1500);
      const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(1500) });
      const answers = await Promise.all(Array.from({ length: 10 }, () => postNotify(t, notify)));
      expect(answers).toEqual(Array(10).fill('success'));
      expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
      expect((await logOutcomes(t, p.paymentNo)).filter((o) => o === 'APPLIED')).toHaveLength(1);
      // the order is paid and the wallet credited in the notify's own transaction: no wait
      expect(await orderStatus(t, p.orderNo)).toBe('PAID');
      expect(await balance(t, u)).toBe(1500);
    });

    it('a wrong amount is never paid: one anomaly', () => wrongAmountNeverPays(t));
  },
);

describe('CALLBACK_DEDUP_STRATEGY=check_then_act (demonstration)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...CALLBACK_ENV, CALLBACK_DEDUP_STRATEGY: 'check_then_act' } });
  });
  afterAll(() => t.close());

  it('pays a single notify; a sequential re-send is a duplicate', async () => {
    const u = `u-st-${randomSuffix()}`;
    const p = await rechargeWithPayment(t, u, 700);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(700) });
    expect(await postNotify(t, notify)).toBe('success');
    expect(await postNotify(t, notify)).toBe('success');
    // the re-send is answered from one read (ALREADY_PAID) and writes nothing
    expect(await logOutcomes(t, p.paymentNo)).toEqual(['APPLIED']);
    expect(await orderStatus(t, p.orderNo)).toBe('PAID');
    expect(await balance(t, u)).toBe(700);
  });

  it('a wrong amount is never paid: one anomaly', () => wrongAmountNeverPays(t));

  it('loses the race when the copies all check before one commits: every copy "applies" (why it is a demonstration)', async () => {
    // Made deterministic: a second connection holds the payment row, so the 10 copies all pass the
    // check (a plain read, PENDING) and then queue on their blind UPDATE; released only once all 10 wait.
    const u = `u-st-${randomSuffix()}`;
    const p = await rechargeWithPayment(t, u, 100);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(100) });
    const holder = t.dataSource.createQueryRunner();
    await holder.connect();
    let answers: Promise<string[]>;
    try {
      await holder.startTransaction();
      await holder.query('SELECT id FROM t_payment WHERE payment_no = ? FOR UPDATE', [p.paymentNo]);
      answers = Promise.all(Array.from({ length: 10 }, () => postNotify(t, notify)));
      await waitFor(async () => {
        const [r] = await t.dataSource.query(
          `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
            WHERE DB = DATABASE() AND INFO LIKE 'UPDATE t\\_payment SET status = ''SUCCESS''%'`,
        );
        return Number(r.n) === 10;
      }, '10 copies waiting on their blind UPDATE');
      await holder.commitTransaction();
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
    expect(await answers).toEqual(Array(10).fill('success'));
    expect((await logOutcomes(t, p.paymentNo)).filter((o) => o === 'APPLIED')).toHaveLength(10);
    // the backstops downstream (the order side's marker and row lock, the outbox unique key) still
    // credit once; all in the notifies' own transactions, which have committed
    expect(await orderStatus(t, p.orderNo)).toBe('PAID');
    expect(await balance(t, u)).toBe(100);
  });
});
