import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { QUEUES } from '../src/common/queue/queue.constants';
import { previousBillDate } from '../src/callback/reconciliation.scheduler';
import {
  balance,
  CALLBACK_ENV,
  orderStatus,
  paymentStatus,
  rechargeWithPayment,
  waitFor,
} from './callback-support';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/** Today's bill date in China time (the sandbox's bill day). */
const todayCst = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

describe('POST /v1/admin/reconciliations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: CALLBACK_ENV });
  });
  afterAll(() => t.close());

  it('finds a trade paid at the gateway whose notify never came, repairs it through the success path', async () => {
    const u = `u-rec-${randomSuffix()}`;
    const p = await rechargeWithPayment(t, u, 5600);
    await t
      .http()
      .post(`/sandbox/alipay/trades/${p.paymentNo}/pay`)
      .send({ notify: { mode: 'drop' } })
      .expect(200);
    // 'drop': no notify is ever sent, so nothing can change it meanwhile
    expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');

    const res = await t
      .http()
      .post('/v1/admin/reconciliations')
      .set('Authorization', t.bearer('admin-1', 'admin'))
      .send({ date: todayCst() })
      .expect(200);
    expect(res.body.date).toBe(todayCst());
    expect(res.body.checked).toBeGreaterThanOrEqual(1);
    expect(res.body.mismatches).toContainEqual({
      paymentNo: p.paymentNo,
      channel: 'alipay',
      kind: 'paid_not_recorded',
      repaired: true,
    });
    expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
    await waitFor(async () => (await orderStatus(t, p.orderNo)) === 'PAID', 'order PAID');
    expect(await balance(t, u)).toBe(5600);

    // a second run finds nothing left for that trade and credits nothing twice
    const again = await t
      .http()
      .post('/v1/admin/reconciliations')
      .set('Authorization', t.bearer('admin-1', 'admin'))
      .send({ date: todayCst() })
      .expect(200);
    expect(again.body.mismatches.filter((m: { paymentNo: string }) => m.paymentNo === p.paymentNo)).toEqual(
      [],
    );
    expect(await balance(t, u)).toBe(5600);
  });

  it('reports a trade paid here but absent from the bill', async () => {
    const p = await rechargeWithPayment(t, `u-rec-${randomSuffix()}`, 100);
    await t
      .http()
      .post(`/sandbox/alipay/trades/${p.paymentNo}/pay`)
      .send({ notify: { mode: 'normal' } })
      .expect(200);
    await waitFor(async () => (await paymentStatus(t, p.paymentNo)) === 'SUCCESS', 'paid by notify');
    // the gateway "forgets" it: delete it from the sandbox's trades
    await t.dataSource.query('DELETE FROM sandbox_trade WHERE out_trade_no = ?', [p.paymentNo]);
    const res = await t
      .http()
      .post('/v1/admin/reconciliations')
      .set('Authorization', t.bearer('admin-1', 'admin'))
      .send({ date: todayCst() })
      .expect(200);
    expect(res.body.mismatches).toContainEqual({
      paymentNo: p.paymentNo,
      channel: 'alipay',
      kind: 'missing_in_bill',
      repaired: false,
    });
  });

  it.each([['2026-13-01'], ['2026-02-30'], ['yesterday'], [''], [20261122]])(
    '400 for date %p',
    async (date) => {
      const res = await t
        .http()
        .post('/v1/admin/reconciliations')
        .set('Authorization', t.bearer('admin-1', 'admin'))
        .send({ date })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    },
  );

  it('403 for a user, 401 without a token', async () => {
    const res = await t
      .http()
      .post('/v1/admin/reconciliations')
      .set('Authorization', t.bearer('u-1'))
      .send({ date: todayCst() })
      .expect(403);
    expect(res.body.code).toBe('FORBIDDEN');
    await t.http().post('/v1/admin/reconciliations').send({ date: todayCst() }).expect(401);
  });

  it('502 GATEWAY_UNAVAILABLE when the bill cannot be downloaded, nothing changed', async () => {
    const cut = await createTestApp({
      dbName: t.dbName,
      keepDb: true,
      env: {
        ...CALLBACK_ENV,
        ALIPAY_GATEWAY_URL: 'http://127.0.0.1:9/sandbox/alipay/gateway.do',
        ALIPAY_TIMEOUT_MS: '500',
      },
    });
    try {
      const res = await cut
        .http()
        .post('/v1/admin/reconciliations')
        .set('Authorization', cut.bearer('admin-1', 'admin'))
        .send({ date: todayCst() })
        .expect(502);
      expect(res.body.code).toBe('GATEWAY_UNAVAILABLE');
    } finally {
      await cut.close();
    }
  });

  it('the daily job runs on the reconciliation queue and reports', async () => {
    const q = t.app.get<Queue>(getQueueToken(QUEUES.RECONCILIATION));
    const repeats = await q.getRepeatableJobs();
    expect(repeats.map((r) => r.cron)).toContain('30 3 * * *');
    await q.add('daily', {}, { jobId: 'manual-run' });
    const job = await waitFor(async () => {
      const j = await q.getJob('manual-run');
      return j?.finishedOn ? j : null;
    }, 'daily job finished');
    expect(job.failedReason).toBeUndefined();
    expect(job.returnvalue).toMatchObject({ date: previousBillDate(new Date(job.timestamp)) });
  });

  it('the daily job reconciles the previous China-time day', () => {
    expect(previousBillDate(new Date('2026-11-23T19:30:00Z'))).toBe('2026-11-23'); // 03:30 CST on the 24th
    expect(previousBillDate(new Date('2026-11-22T19:30:00Z'))).toBe('2026-11-22');
  });
});
