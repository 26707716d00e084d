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
 * A fault injected into the order side of the success transaction: a trigger makes every order →
 * PAID update fail until it is dropped (as a lost connection or a crash mid-transaction would).
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

describe('the order is paid in the payment transaction; the outbox is for subscribers only', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: CALLBACK_ENV });
  });
  afterAll(() => t.close());

  it('the order side fails → the whole apply rolls back (payment PENDING, no marker, fail); the re-send applies it once', async () => {
    const u = `u-atomic-${randomSuffix()}`;
    const p = await rechargeWithPayment(t, u, 650);
    const unblock = await blockOrderPaid(t);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(650) });
    try {
      expect(await postNotify(t, notify)).toBe('fail');
      expect(await paymentStatus(t, p.paymentNo)).toBe('PENDING');
      expect(await orderStatus(t, p.orderNo)).toBe('PAYING');
      expect(await dedupRows(t, 'PAYMENT_SUCCEEDED', p.paymentNo)).toBe(0);
      expect(await outboxRow(t, p.paymentNo)).toBeUndefined();
    } finally {
      await unblock();
    }
    expect(await postNotify(t, notify)).toBe('success');
    // one commit: the payment, the order, the credit, the event and the log outcome together
    expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
    expect(await orderStatus(t, p.orderNo)).toBe('PAID');
    expect(await balance(t, u)).toBe(650);
    expect(await outboxRow(t, p.paymentNo)).toBeDefined();
    expect(await dedupRows(t, 'ORDER_PAID', p.orderNo)).toBe(1);
  });

  it('pays the payment, leaves the order CANCELLED, records one anomaly however often it is seen', async () => {
    const u = `u-pac-${randomSuffix()}`;
    const p = await rechargeWithPayment(t, u, 1100);
    // as if the payment had expired and been closed, and the order cancelled, before the late notify
    await t.dataSource.query("UPDATE t_payment SET status = 'CLOSED' WHERE payment_no = ?", [p.paymentNo]);
    await t.dataSource.query("UPDATE t_order SET status = 'CANCELLED' WHERE order_no = ?", [p.orderNo]);
    const notify = await signedNotify(t.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(1100) });
    const answers = await Promise.all(Array.from({ length: 5 }, () => postNotify(t, notify)));
    expect(answers).toEqual(Array(5).fill('success'));
    expect(await paymentStatus(t, p.paymentNo)).toBe('SUCCESS');
    expect(await anomalies(t, p.paymentNo)).toEqual(['PAID_AFTER_CLOSE_UNFULFILLABLE']);
    await waitFor(async () => (await outboxRow(t, p.paymentNo)) === 'SENT', 'event published');
    // the event delivered again (at-least-once) changes nothing: subscribers only count it
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
    const job = await waitFor(async () => {
      const j = await q.getJob(`again:${p.paymentNo}`);
      return j?.finishedOn ? j : null;
    }, 'second delivery processed');
    expect(job.returnvalue).toBe('PAID_AFTER_CANCEL');
    expect(await anomalies(t, p.paymentNo)).toEqual(['PAID_AFTER_CLOSE_UNFULFILLABLE']);
    expect(await orderStatus(t, p.orderNo)).toBe('CANCELLED');
    expect(await balance(t, u)).toBe(0);
  });
});

describe('delivered outbox rows are purged', () => {
  it('purgeSent deletes SENT rows older than the retention, never PENDING ones', async () => {
    const t = await createTestApp({ env: CALLBACK_ENV });
    try {
      const relay = t.app.get(OutboxRelay);
      await relay.stop();
      await t.dataSource.query(
        `INSERT INTO t_outbox (topic, event_key, payload, status, available_at) VALUES
          ('test.topic', 'old-sent', '{}', 'SENT', NOW(3) - INTERVAL 2 DAY),
          ('test.topic', 'new-sent', '{}', 'SENT', NOW(3)),
          ('test.topic', 'old-pending', '{}', 'PENDING', NOW(3) - INTERVAL 2 DAY)`,
      );
      expect(await relay.purgeSent()).toBe(1);
      const left = await t.dataSource.query(
        "SELECT event_key FROM t_outbox WHERE topic = 'test.topic' ORDER BY event_key",
      );
      expect(left.map((r: { event_key: string }) => r.event_key)).toEqual(['new-sent', 'old-pending']);
      expect(await relay.purgeSent()).toBe(0);
    } finally {
      await t.close();
    }
  });
});

describe('the outbox survives crashes', () => {
  it('relay dead before publishing: the order is PAID at once; the next instance publishes the event, once', async () => {
    const a = await createTestApp({ env: CALLBACK_ENV });
    const u = `u-crash-${randomSuffix()}`;
    let b: TestApp | undefined;
    try {
      const p = await rechargeWithPayment(a, u, 4200);
      await a.app.get(OutboxRelay).stop(); // the relay never gets to run on this instance
      const notify = await signedNotify(a.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(4200) });
      expect(await postNotify(a, notify)).toBe('success');
      expect(await paymentStatus(a, p.paymentNo)).toBe('SUCCESS');
      expect(await orderStatus(a, p.orderNo)).toBe('PAID');
      expect(await outboxRow(a, p.paymentNo)).toBe('PENDING');
      await a.app.close(); // crash: the database and Redis stay

      b = await createTestApp({
        dbName: a.dbName,
        redisPrefix: a.redisPrefix,
        keepDb: true,
        env: CALLBACK_ENV,
      });
      await waitFor(async () => (await outboxRow(b!, p.paymentNo)) === 'SENT', 'published after restart');
      // a re-sent notify after the restart changes nothing
      expect(await postNotify(b, notify)).toBe('success');
      expect(await balance(b, u)).toBe(4200);
      expect(await dedupRows(b, 'ORDER_PAID', p.orderNo)).toBe(1);
    } finally {
      await b?.close();
      await deleteRedisPrefix(a.redisPrefix);
    }
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

  it('still apply — payment SUCCESS and order PAID, outbox PENDING; a healthy instance then publishes the event', async () => {
    // the order and payment are created by a healthy instance (submits need Redis); the callback does not
    up = await createTestApp({ dbName: down.dbName, keepDb: true, env: CALLBACK_ENV });
    const u = `u-redis-${randomSuffix()}`;
    const p = await rechargeWithPayment(up, u, 3300);
    await up.app.get(OutboxRelay).stop();
    const notify = await signedNotify(down.dataSource, { outTradeNo: p.paymentNo, totalAmount: yuan(3300) });
    const answers = await Promise.all(Array.from({ length: 5 }, () => postNotify(down, notify)));
    expect(answers).toEqual(Array(5).fill('success'));
    expect(await paymentStatus(down, p.paymentNo)).toBe('SUCCESS');
    expect(await orderStatus(down, p.orderNo)).toBe('PAID');
    expect(await balance(up, u)).toBe(3300);
    expect(await outboxRow(down, p.paymentNo)).toBe('PENDING');

    up.app.get(OutboxRelay).start();
    await waitFor(
      async () => (await outboxRow(up!, p.paymentNo)) === 'SENT',
      'published once Redis is there',
    );
    expect(await balance(up, u)).toBe(3300);
    expect(await dedupRows(up, 'ORDER_PAID', p.orderNo)).toBe(1);
  });
});
