import { TransactionService } from '../src/common/database/transaction.service';
import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { QUEUES } from '../src/common/queue/queue.constants';
import { OrderService } from '../src/order/order.service';
import { OrderSweeper } from '../src/order/order-sweeper.service';
import { createProduct, eventually, newUserId, orderRow, stockOf } from './factories/order.factory';
import { createTestApp, TestApp } from './utils/test-app';

const TTL = 1500;

async function submit(t: TestApp, user: string, productId: number, quantity: number) {
  const res = await t
    .http()
    .post('/v1/orders')
    .set('Authorization', t.bearer(user))
    .send({ items: [{ productId, quantity }] });
  expect(res.status).toBe(201);
  return res.body as { orderNo: string; createdAt: string; expiresAt: string };
}

/** Moves the order's expiry into the past: what waiting out its TTL would do, without the wait. */
async function pastExpiry(t: TestApp, orderNo: string): Promise<void> {
  await t.dataSource.query('UPDATE t_order SET expires_at = ? WHERE order_no = ?', [
    new Date(Date.now() - 1000),
    orderNo,
  ]);
}

describe('order expiry by delayed job (real MySQL + Redis)', () => {
  let t: TestApp;
  let queue: Queue;
  let orders: OrderService;

  beforeAll(async () => {
    // the sweep is made rare here so that the job is what expires orders
    t = await createTestApp({ env: { ORDER_TTL_MS: String(TTL), ORDER_SWEEP_INTERVAL_MS: '3600000' } });
    queue = t.app.get<Queue>(getQueueToken(QUEUES.ORDER_EXPIRY));
    orders = t.app.get(OrderService);
  });
  afterAll(() => t.close());

  it('schedules expire:<orderNo> with delay ORDER_TTL_MS; the job cancels the order and restores stock', async () => {
    const p = await createProduct(t, { stock: 10 });
    const o = await submit(t, newUserId(), p.id, 3);
    expect(Date.parse(o.expiresAt) - Date.parse(o.createdAt)).toBe(TTL);
    expect(await stockOf(t, p.id)).toBe(7);
    const job = await eventually(() => queue.getJob(`expire:${o.orderNo}`));
    expect(job.data).toEqual({ orderNo: o.orderNo });
    expect(job.opts.delay).toBe(TTL);
    // not due yet: an early run changes nothing
    expect(await orders.expire(o.orderNo)).toBe(false);
    expect((await orderRow(t, o.orderNo))!.status).toBe('CREATED');

    await eventually(async () => (await orderRow(t, o.orderNo))!.status === 'CANCELLED');
    expect(await stockOf(t, p.id)).toBe(10);
    const done = await eventually(async () => {
      const j = await queue.getJob(`expire:${o.orderNo}`);
      return j && (await j.isCompleted()) ? j : null;
    });
    expect(done.returnvalue).toEqual({ cancelled: true });
    // idempotent: running expiry again (a re-delivered job) changes nothing
    expect(await orders.expire(o.orderNo)).toBe(false);
    expect(await stockOf(t, p.id)).toBe(10);
  });

  it('a PAYING order is left alone by its job; its payment closed after expiry cancels it in the same transaction', async () => {
    const p = await createProduct(t, { stock: 10 });
    const o = await submit(t, newUserId(), p.id, 2);
    expect(await orders.markPaying(null, o.orderNo)).toBe(true);
    await eventually(async () => {
      const j = await queue.getJob(`expire:${o.orderNo}`);
      return j && (await j.isCompleted());
    });
    expect((await orderRow(t, o.orderNo))!.status).toBe('PAYING');
    expect(await stockOf(t, p.id)).toBe(8);

    const tx = t.app.get(TransactionService);
    expect(
      await tx.run((m) =>
        orders.settleAfterPaymentClosed(m, o.orderNo, { othersPending: false, cancel: false }),
      ),
    ).toBe('CANCELLED');
    expect((await orderRow(t, o.orderNo))!.status).toBe('CANCELLED');
    expect(await stockOf(t, p.id)).toBe(10);
  });

  it('a lost job is made up for by the sweep', async () => {
    const p = await createProduct(t, { stock: 10 });
    const o = await submit(t, newUserId(), p.id, 4);
    const job = await eventually(() => queue.getJob(`expire:${o.orderNo}`));
    await job.remove();
    await pastExpiry(t, o.orderNo); // instead of sleeping through the TTL
    // no job can expire it now; only the sweep can
    await t.app.get(OrderSweeper).sweep();
    expect((await orderRow(t, o.orderNo))!.status).toBe('CANCELLED');
    expect(await stockOf(t, p.id)).toBe(10);
  });

  it('expiry racing with a user cancel and with itself releases stock once', async () => {
    const p = await createProduct(t, { stock: 10 });
    const user = newUserId();
    const o = await submit(t, user, p.id, 5);
    const job = await eventually(() => queue.getJob(`expire:${o.orderNo}`));
    await job.remove();
    await pastExpiry(t, o.orderNo);
    const results = await Promise.all([
      ...Array.from({ length: 5 }, () => orders.expire(o.orderNo)),
      t.http().post(`/v1/orders/${o.orderNo}/cancel`).set('Authorization', t.bearer(user)),
    ]);
    const wins = results.slice(0, 5).filter((r) => r === true).length;
    expect(wins).toBeLessThanOrEqual(1);
    expect((results[5] as { status: number }).status).toBe(200);
    expect(await stockOf(t, p.id)).toBe(10);
  });
});

describe('order expiry with Redis down (sweep only)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        REDIS_URL: 'redis://127.0.0.1:6390',
        REDIS_COMMAND_TIMEOUT_MS: '200',
        GUARD_FAIL_MODE: 'open',
        ORDER_TTL_MS: String(TTL),
        ORDER_SWEEP_INTERVAL_MS: '300',
      },
    });
  });
  afterAll(() => t.close());

  it('the submit succeeds although the expiry job cannot be enqueued; the sweep cancels and restores stock', async () => {
    const p = await createProduct(t, { stock: 10 });
    const o = await submit(t, newUserId(), p.id, 6);
    expect(await stockOf(t, p.id)).toBe(4);
    await eventually(async () => (await orderRow(t, o.orderNo))!.status === 'CANCELLED');
    expect(await stockOf(t, p.id)).toBe(10);
  });
});
