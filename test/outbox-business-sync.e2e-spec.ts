import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { OutboxRelay } from '../src/common/outbox/outbox-relay.service';
import { QUEUES } from '../src/common/queue/queue.constants';
import {
  anomalies,
  balance,
  CALLBACK_ENV,
  dedupRows,
  orderStatus,
  paymentStatus,
  postNotify,
  rechargeWithPayment,
  signedNotify,
  sleep,
  waitFor,
  yuan,
} from './callback-support';
import { deleteRedisPrefix } from './utils/services';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

async function outboxRow(t: TestApp, paymentNo: string) {
  const rows = await t.dataSource.query(
    "SELECT status FROM t_outbox WHERE topic = 'payment.succeeded' AND event_key = ?",
    [paymentNo],
  );
  return rows[0]?.status as string | undefined;
}

/**
 * The success path also calls the order side directly right after its commit (a best-effort
 * shortcut). To test what the outbox alone guarantees, that shortcut must fail like a crashed
 * process would: a trigger makes every order → PAID update fail until it is dropped.
 */
async function blockOrderPaid(t: TestApp): Promise<() => Promise<void>> {
  await t.dataSource.query(
    `CREATE TRIGGER t_order_block_paid BEFORE UPDATE ON t_order FOR EACH ROW
     BEGIN
       IF NEW.status = 'PAID' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected: order update fails'; END IF;
     END`,
  );
  return async () => {
    await t.dataSource.query('DROP TRIGGER IF EXISTS t_order_block_paid');
  };
}

describe('business sync survives crashes', () => {
  it('success committed, relay dead before publishing: the next instance finishes the job, once', async () => {
    const a = await createTestApp({ env: CALLBACK_ENV });
    const u = `u-crash-${randomSuffix()}`;
    let b: TestApp | undefined;
    try {
      const p = await rechargeWithPayment(a, u, 4200);
      await a.app.get(OutboxRelay).stop(); // the relay never gets to run on this instance
      const unblock = await blockOrderPaid(a);
      const notify = await signedNotify(a.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(4200) });
      expect(await postNotify(a, notify)).toBe('success');
      expect(await paymentStatus(a, p.paymentNo)).toBe('SUCCESS');
      expect(await outboxRow(a, p.paymentNo)).toBe('PENDING');
      await sleep(300);
      expect(await orderStatus(a, p.orderNo)).toBe('PAYING');
      await unblock();
      await a.app.close(); // crash: the database and Redis stay

      b = await createTestApp({
        dbName: a.dbName,
        redisPrefix: a.redisPrefix,
        keepDb: true,
        env: CALLBACK_ENV,
      });
      await waitFor(async () => (await orderStatus(b!, p.orderNo)) === 'PAID', 'order PAID after restart');
      expect(await outboxRow(b, p.paymentNo)).toBe('SENT');
      // a re-sent notify after the restart changes nothing
      expect(await postNotify(b, notify)).toBe('success');
      await sleep(300);
      expect(await balance(b, u)).toBe(4200);
      expect(await dedupRows(b, 'ORDER_PAID', p.orderNo)).toBe(1);
    } finally {
      await b?.close();
      await deleteRedisPrefix(a.redisPrefix);
    }
  });

  it('published but the consumer never ran (instance died): the job is processed by the next instance', async () => {
    const a = await createTestApp({ env: CALLBACK_ENV });
    const u = `u-crash-${randomSuffix()}`;
    let b: TestApp | undefined;
    try {
      const p = await rechargeWithPayment(a, u, 900);
      await a.app.get<Queue>(getQueueToken(QUEUES.OUTBOX)).pause(true); // this instance consumes nothing
      const unblock = await blockOrderPaid(a);
      const notify = await signedNotify(a.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(900) });
      expect(await postNotify(a, notify)).toBe('success');
      await waitFor(async () => (await outboxRow(a, p.paymentNo)) === 'SENT', 'published');
      expect(await orderStatus(a, p.orderNo)).toBe('PAYING');
      await unblock();
      await a.app.close();

      b = await createTestApp({
        dbName: a.dbName,
        redisPrefix: a.redisPrefix,
        keepDb: true,
        env: CALLBACK_ENV,
      });
      await waitFor(async () => (await orderStatus(b!, p.orderNo)) === 'PAID', 'order PAID after restart');
      await sleep(300);
      expect(await balance(b, u)).toBe(900);
    } finally {
      await b?.close();
      await deleteRedisPrefix(a.redisPrefix);
    }
  });
});

describe('a failing consumer is retried by Bull', () => {
  it('the order update fails for a while, then succeeds on a retry; the failure is visible on the job', async () => {
    const t = await createTestApp({ env: CALLBACK_ENV });
    try {
      const u = `u-retry-${randomSuffix()}`;
      const p = await rechargeWithPayment(t, u, 650);
      const unblock = await blockOrderPaid(t);
      const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(650) });
      expect(await postNotify(t, notify)).toBe('success');
      const q = t.app.get<Queue>(getQueueToken(QUEUES.OUTBOX));
      const jobId = `payment.succeeded:${p.paymentNo}`;
      await waitFor(async () => ((await q.getJob(jobId))?.attemptsMade ?? 0) >= 1, 'a failed attempt');
      expect(await orderStatus(t, p.orderNo)).toBe('PAYING');
      await unblock();
      await waitFor(async () => (await orderStatus(t, p.orderNo)) === 'PAID', 'PAID on a retry');
      const job = await waitFor(async () => {
        const j = await q.getJob(jobId);
        return j?.finishedOn ? j : null;
      }, 'job completed');
      expect(job.returnvalue).toBe('applied');
      expect(job.attemptsMade).toBeGreaterThanOrEqual(1);
      await sleep(300);
      expect(await balance(t, u)).toBe(650);
    } finally {
      await t.close();
    }
  });
});

describe('payment.succeeded for an order that was cancelled meanwhile', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: CALLBACK_ENV });
  });
  afterAll(() => t.close());

  it('pays the payment, leaves the order CANCELLED, records PAID_AFTER_CANCEL once', async () => {
    const u = `u-pac-${randomSuffix()}`;
    const p = await rechargeWithPayment(t, u, 1100);
    // as if the payment had expired and been closed, and the order cancelled, before the late notify
    await t.dataSource.query("UPDATE t_payment SET status = 'CLOSED' WHERE payment_no = ?", [p.paymentNo]);
    await t.dataSource.query("UPDATE t_order SET status = 'CANCELLED' WHERE order_no = ?", [p.orderNo]);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(1100) });
    expect(await postNotify(t, notify)).toBe('success');
    expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
    await waitFor(async () => (await outboxRow(t, p.paymentNo)) === 'SENT', 'event published');
    await waitFor(
      async () => (await anomalies(t, p.paymentNo)).includes('PAID_AFTER_CANCEL'),
      'PAID_AFTER_CANCEL recorded by the consumer',
    );
    // the event delivered again (at-least-once) records nothing more
    const q = t.app.get<Queue>(getQueueToken(QUEUES.OUTBOX));
    await q.add(
      {
        outboxId: '0',
        topic: 'payment.succeeded',
        eventKey: p.paymentNo,
        payload: { ...(await eventOf(t, p.paymentNo)) },
      },
      { jobId: `again:${p.paymentNo}` },
    );
    await waitFor(
      async () => (await q.getJob(`again:${p.paymentNo}`))?.finishedOn,
      'second delivery processed',
    );
    expect((await anomalies(t, p.paymentNo)).filter((k) => k === 'PAID_AFTER_CANCEL')).toHaveLength(1);
    expect(await orderStatus(t, p.orderNo)).toBe('CANCELLED');
    expect(await balance(t, u)).toBe(0);
  });
});

async function eventOf(t: TestApp, paymentNo: string) {
  const [r] = await t.dataSource.query(
    "SELECT payload FROM t_outbox WHERE topic = 'payment.succeeded' AND event_key = ?",
    [paymentNo],
  );
  return typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload;
}

describe('callbacks with Redis unreachable', () => {
  let down: TestApp;
  let up: TestApp | undefined;
  beforeAll(async () => {
    down = await createTestApp({
      env: { ...CALLBACK_ENV, REDIS_URL: 'redis://127.0.0.1:6390', REDIS_COMMAND_TIMEOUT_MS: '300' },
    });
  });
  afterAll(async () => {
    await up?.close();
    await down.close();
  });

  it('still apply (payment SUCCESS, outbox PENDING); a healthy instance then drains → order PAID once', async () => {
    // the order and payment are created by a healthy instance (submits need Redis); the callback does not
    up = await createTestApp({ dbName: down.dbName, keepDb: true, env: CALLBACK_ENV });
    const u = `u-redis-${randomSuffix()}`;
    const p = await rechargeWithPayment(up, u, 3300);
    await up.app.get(OutboxRelay).stop();
    const unblock = await blockOrderPaid(up);
    const notify = await signedNotify(down.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(3300) });
    const answers = await Promise.all(Array.from({ length: 5 }, () => postNotify(down, notify)));
    expect(answers).toEqual(Array(5).fill('success'));
    expect(await paymentStatus(down, p.paymentNo)).toBe('SUCCESS');
    await sleep(500);
    expect(await outboxRow(down, p.paymentNo)).toBe('PENDING');
    expect(await orderStatus(down, p.orderNo)).toBe('PAYING');

    await unblock(); // from here on only the outbox can pay the order
    up.app.get(OutboxRelay).start();
    await waitFor(
      async () => (await orderStatus(up!, p.orderNo)) === 'PAID',
      'order PAID once Redis is there',
    );
    await sleep(300);
    expect(await balance(up, u)).toBe(3300);
    expect(await dedupRows(up, 'ORDER_PAID', p.orderNo)).toBe(1);
  });
});
