import {
  balance,
  CALLBACK_ENV,
  logOutcomes,
  orderStatus,
  paymentStatus,
  postNotify,
  rechargeWithPayment,
  signedNotify,
  sleep,
  waitFor,
  yuan,
} from './callback-support';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

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
      await waitFor(async () => (await orderStatus(t, p.orderNo)) === 'PAID', 'order PAID');
      await sleep(300);
      expect(await balance(t, u)).toBe(1500);
    });
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

  it('loses the race under concurrent copies: more than one copy "applies" (why it is a demonstration)', async () => {
    // 10 copies all read PENDING before the first commit; five rounds make a lost race a certainty in practice
    const applied: number[] = [];
    const users: string[] = [];
    for (let round = 0; round < 5; round++) {
      const u = `u-st-${randomSuffix()}`;
      users.push(u);
      const p = await rechargeWithPayment(t, u, 100);
      const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(100) });
      await Promise.all(Array.from({ length: 10 }, () => postNotify(t, notify)));
      applied.push((await logOutcomes(t, p.paymentNo)).filter((o) => o === 'APPLIED').length);
    }
    expect(Math.max(...applied)).toBeGreaterThan(1);
    // the backstops downstream (outbox unique key, the order side's runOnce) still credit once
    await sleep(500);
    for (const u of users) {
      await waitFor(async () => (await balance(t, u)) === 100, 'credited');
    }
    await sleep(300);
    for (const u of users) expect(await balance(t, u)).toBe(100);
  });
});
