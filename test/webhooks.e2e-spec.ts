import { OutboxService } from '../src/common/outbox/outbox.service';
import { TOPICS } from '../src/common/events/payment-events';
import { verifySignature } from '../src/events/webhook-signature';
import { waitFor } from './callback-support';
import { RefundApplyService } from '../src/payment/refund/refund-apply.service';
import { OrderService } from '../src/order/order.service';
import { newOrder } from './payment-helpers';
import { faults, paidOrder, refundReq } from './refund-helpers';
import { createTestApp, freePort, randomSuffix, TestApp } from './utils/test-app';
import { WebhookReceiver } from './webhook-receiver';

const DELAYS = [300, 600, 900, 1200, 1500];

describe('webhooks: signed deliveries, retries, endpoints', () => {
  let t: TestApp;
  let admin: string;
  const receivers: WebhookReceiver[] = [];
  beforeAll(async () => {
    t = await createTestApp({
      env: {
        EVENTS_POLL_MS: '50',
        WEBHOOK_RETRY_DELAYS_MS: DELAYS.join(','),
        WEBHOOK_TIMEOUT_MS: '400',
        WEBHOOK_DISABLE_AFTER_MS: '2000',
      },
    });
    admin = t.bearer('ops', 'admin');
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.stop()));
    await t.close();
  });

  async function receiver(behaviour?: WebhookReceiver['behaviour']): Promise<WebhookReceiver> {
    const r = await new WebhookReceiver(behaviour).start();
    receivers.push(r);
    return r;
  }

  async function register(url: string, events?: string[]): Promise<{ id: string; secret: string }> {
    const res = await t
      .http()
      .post('/v1/admin/webhook-endpoints')
      .set('Authorization', admin)
      .send({ url, ...(events ? { events } : {}) })
      .expect(201);
    return res.body;
  }

  /** A payment.succeeded outbox row written the way the payment module writes it (its own transaction). */
  async function emit(key = `p-${randomSuffix()}`): Promise<string> {
    await t.dataSource.transaction('READ COMMITTED', (m) =>
      t.app.get(OutboxService).add(m, TOPICS.PAYMENT_SUCCEEDED, key, {
        paymentNo: key,
        orderNo: `o-${key}`,
        userId: 'u-hook',
        channel: 'alipay',
        amount: 100,
        channelTradeNo: null,
        paidAt: new Date().toISOString(),
      }),
    );
    return key;
  }

  const attempts = async (endpointId: string) =>
    (
      await t
        .http()
        .get(`/v1/admin/webhook-endpoints/${endpointId}/deliveries`)
        .set('Authorization', admin)
        .expect(200)
    ).body.items as Array<Record<string, any>>;

  it('an order paid → one order.paid, signed with the endpoint secret (a wrong secret does not verify)', async () => {
    const r = await receiver();
    const ep = await register(r.url, ['order.paid']);
    expect(ep.secret).toMatch(/^whsec_/);
    const o = await paidOrder(t);
    const [got] = await waitFor(async () => {
      const mine = r.of((x) => x.json.data.orderNo === o.orderNo);
      return mine.length ? mine : null;
    }, 'order.paid delivered');
    expect(got.json).toMatchObject({
      type: 'order.paid',
      version: 1,
      data: { orderNo: o.orderNo, paymentNo: o.paymentNo },
    });
    expect(got.eventId).toBe(got.json.id);
    expect(got.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(got.signature, got.body, ep.secret)).toBe(true);
    expect(verifySignature(got.signature, got.body, 'whsec_wrong')).toBe(false);
    await waitFor(async () => (await attempts(ep.id)).some((a) => a.outcome === 'delivered'), 'attempt kept');
    const kept = await attempts(ep.id);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ eventId: got.eventId, type: 'order.paid', attempt: 1, statusCode: 200 });
    // one order.paid only, and no payment.succeeded (not subscribed)
    expect(r.received.every((x) => x.json.type === 'order.paid')).toBe(true);
    expect(r.of((x) => x.json.data.orderNo === o.orderNo)).toHaveLength(1);
    // the list never shows the secret again
    const list = await t.http().get('/v1/admin/webhook-endpoints').set('Authorization', admin).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(ep.secret);
    expect(list.body.find((e: { id: string }) => e.id === ep.id)).toMatchObject({
      url: r.url,
      events: ['order.paid'],
    });
  });

  it('500, then a timeout, then 200 → retried on the schedule under one event id, delivered once', async () => {
    const r = await receiver((_, nth) =>
      nth === 1 ? { status: 500 } : nth === 2 ? { status: 200, delayMs: 1500 } : { status: 200 },
    );
    const ep = await register(r.url, ['payment.succeeded']);
    const key = await emit();
    await waitFor(async () => (await attempts(ep.id)).some((a) => a.outcome === 'delivered'), 'delivered');
    const got = r.of((x) => x.json.data.paymentNo === key);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((g) => g.eventId)).size).toBe(1);
    expect(new Set(got.map((g) => g.body)).size).toBe(1); // the same event, byte for byte
    // the schedule: ≥ 300 ms after the first answer, ≥ 600 ms after the second attempt's timeout (400 ms)
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(DELAYS[0] - 20);
    expect(got[2].at - got[1].at).toBeGreaterThanOrEqual(400 + DELAYS[1] - 20);
    const kept = (await attempts(ep.id)).reverse();
    expect(kept.map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [1, 'retry', 500],
      [2, 'retry', null],
      [3, 'delivered', 200],
    ]);
    expect(kept[0].responseBody).toBe('answer 500');
    expect(kept[0].nextAttemptAt).not.toBeNull();
    expect(kept[1].error).toMatch(/timed out after 400 ms/);
    const rows = await t.dataSource.query(
      'SELECT status, attempts FROM t_webhook_delivery WHERE endpoint_id = ?',
      [ep.id],
    );
    expect(rows).toEqual([{ status: 'DELIVERED', attempts: 3 }]);
  });

  it('a receiver that is down for a while gets the event once it is back', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    const ep = await register(url, ['payment.succeeded']);
    const key = await emit();
    await waitFor(async () => (await attempts(ep.id)).length >= 2, 'two refused attempts');
    const r = new WebhookReceiver();
    receivers.push(r);
    await r.start(port);
    await waitFor(async () => r.of((x) => x.json.data.paymentNo === key).length > 0, 'delivered later');
    await waitFor(async () => (await attempts(ep.id)).some((a) => a.outcome === 'delivered'), 'settled');
    const kept = (await attempts(ep.id)).reverse();
    expect(kept[0]).toMatchObject({ outcome: 'retry', statusCode: null });
    expect(kept[0].error).toMatch(/ECONNREFUSED/);
    expect(kept[kept.length - 1]).toMatchObject({ outcome: 'delivered', statusCode: 200 });
  });

  it('refund.* only gets refunds; order and payment events are not sent to it', async () => {
    const r = await receiver();
    const ep = await register(r.url, ['refund.*']);
    const o = await paidOrder(t);
    const refund = (await refundReq(t, o.orderNo, { amount: 10000, reason: 'test' }).expect(201)).body;
    await waitFor(
      async () => r.of((x) => x.json.data.refundNo === refund.refundNo).length > 0,
      'refund.succeeded delivered',
    );
    expect(r.received.map((x) => x.json.type)).toEqual(['refund.succeeded']);
    // the feed has the order's events, in version order
    const feed = await t.http().get('/v1/events?limit=500').set('Authorization', admin).expect(200);
    const mine = (
      feed.body.items as Array<{ type: string; version: number; data: { orderNo: string } }>
    ).filter((e) => e.data.orderNo === o.orderNo && e.type.startsWith('order.'));
    expect(mine.map((e) => [e.type, e.version])).toEqual([
      ['order.paid', 1],
      ['order.refunded', 2],
    ]);
    expect(ep.id).toMatch(/^we_/);
  });

  it('delete → no more deliveries (a pending retry is cancelled)', async () => {
    const r = await receiver(() => ({ status: 503 }));
    const ep = await register(r.url, ['payment.succeeded']);
    const key = await emit();
    await waitFor(async () => r.of((x) => x.json.data.paymentNo === key).length === 1, 'first attempt');
    await t.http().delete(`/v1/admin/webhook-endpoints/${ep.id}`).set('Authorization', admin).expect(204);
    await t.http().delete(`/v1/admin/webhook-endpoints/${ep.id}`).set('Authorization', admin).expect(404);
    const later = await emit();
    // a live endpoint as the barrier: once it has the later event and the retry time has passed, the
    // deleted one would have been tried again
    const barrier = await receiver();
    await register(barrier.url, ['payment.succeeded']);
    const after = await emit();
    const since = Date.now();
    await waitFor(
      async () =>
        barrier.of((x) => x.json.data.paymentNo === after).length > 0 && Date.now() - since > DELAYS[0] * 2,
      'the barrier delivered past the retry time',
    );
    expect(r.of((x) => x.json.data.paymentNo === key)).toHaveLength(1);
    expect(r.of((x) => x.json.data.paymentNo === later)).toHaveLength(0);
    const rows = await t.dataSource.query('SELECT status FROM t_webhook_delivery WHERE endpoint_id = ?', [
      ep.id,
    ]);
    expect(rows).toEqual([{ status: 'CANCELLED' }]);
  });

  it('rotate: both signatures during the overlap; redeliver sends the same event again', async () => {
    const r = await receiver();
    const ep = await register(r.url, ['payment.succeeded']);
    const key = await emit();
    const [first] = await waitFor(async () => {
      const m = r.of((x) => x.json.data.paymentNo === key);
      return m.length ? m : null;
    }, 'delivered');
    const rot = await t
      .http()
      .post(`/v1/admin/webhook-endpoints/${ep.id}/rotate-secret`)
      .set('Authorization', admin)
      .expect(200);
    expect(rot.body.secret).not.toBe(ep.secret);
    await t
      .http()
      .post(`/v1/admin/events/${first.eventId}/redeliver`)
      .set('Authorization', admin)
      .expect(202);
    const again = await waitFor(async () => {
      const m = r.of((x) => x.eventId === first.eventId);
      return m.length === 2 ? m[1] : null;
    }, 'redelivered');
    expect(again.body).toBe(first.body);
    expect(again.signature.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
    expect(verifySignature(again.signature, again.body, rot.body.secret)).toBe(true);
    expect(verifySignature(again.signature, again.body, ep.secret)).toBe(true);
    await t.http().post('/v1/admin/events/evt_nope/redeliver').set('Authorization', admin).expect(404);
  });

  it('an endpoint failing everything for longer than WEBHOOK_DISABLE_AFTER_MS is disabled with a reason', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const ep = await register(r.url, ['payment.succeeded']);
    await emit();
    const disabled = await waitFor(async () => {
      const list = await t.http().get('/v1/admin/webhook-endpoints').set('Authorization', admin).expect(200);
      const mine = list.body.find((e: { id: string }) => e.id === ep.id);
      return mine.status === 'DISABLED' ? mine : null;
    }, 'disabled');
    expect(disabled.disabledReason).toMatch(/HTTP 500/);
    const enabled = await t
      .http()
      .post(`/v1/admin/webhook-endpoints/${ep.id}/enable`)
      .set('Authorization', admin)
      .expect(200);
    expect(enabled.body.status).toBe('ENABLED');
  });

  it('order.cancelled (user cancel, expiry) and refund.failed are written with the change and delivered', async () => {
    const r = await receiver();
    await register(r.url, ['order.cancelled', 'refund.failed']);
    const byUser = await newOrder(t);
    await t
      .http()
      .post(`/v1/orders/${byUser.orderNo}/cancel`)
      .set('Authorization', t.bearer(byUser.userId))
      .expect(200);
    const expired = await newOrder(t);
    expect(await t.app.get(OrderService).expire(expired.orderNo, new Date(Date.now() + 86400000))).toBe(true);
    const o = await paidOrder(t, 4000);
    await faults(t, o.paymentNo, {
      refund: 'service_unavailable',
      refundQuery: 'service_unavailable',
      times: 50,
    });
    const refund = (await refundReq(t, o.orderNo, { amount: 1500, reason: 'x' }).expect(201)).body;
    expect(await t.app.get(RefundApplyService).fail(refund.refundNo, 'gateway said no', 'alipay')).toBe(
      'failed',
    );
    const got = await waitFor(async () => (r.received.length >= 3 ? r.received : null), 'three events');
    const by = (pred: (d: Record<string, any>) => boolean) => got.find((x) => pred(x.json.data))!.json;
    expect(by((d) => d.orderNo === byUser.orderNo)).toMatchObject({
      type: 'order.cancelled',
      version: 1,
      data: {
        orderNo: byUser.orderNo,
        userId: byUser.userId,
        from: 'CREATED',
        reason: 'user',
        totalAmount: byUser.amount,
      },
    });
    expect(by((d) => d.orderNo === expired.orderNo)).toMatchObject({
      type: 'order.cancelled',
      data: { reason: 'expired' },
    });
    expect(by((d) => d.refundNo === refund.refundNo)).toMatchObject({
      type: 'refund.failed',
      version: 1,
      data: {
        refundNo: refund.refundNo,
        orderNo: o.orderNo,
        paymentNo: o.paymentNo,
        amount: 1500,
        reason: 'gateway said no',
      },
    });
    // a cancel that moved nothing (already cancelled) writes no second event
    await t
      .http()
      .post(`/v1/orders/${byUser.orderNo}/cancel`)
      .set('Authorization', t.bearer(byUser.userId))
      .expect(200);
    const [{ n }] = await t.dataSource.query(
      "SELECT COUNT(*) AS n FROM t_outbox WHERE topic = 'order.cancelled' AND event_key = ?",
      [byUser.orderNo],
    );
    expect(Number(n)).toBe(1);
  });

  it('bad input → 400 and nothing stored; users → 403', async () => {
    for (const body of [
      { url: 'not a url' },
      { url: 'ftp://x.example/h' },
      { url: 'http://127.0.0.1/h', events: ['nope.*'] },
      {},
    ]) {
      const res = await t
        .http()
        .post('/v1/admin/webhook-endpoints')
        .set('Authorization', admin)
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    await t.http().get('/v1/admin/webhook-endpoints').set('Authorization', t.bearer('u-1')).expect(403);
    const [{ n }] = await t.dataSource.query(
      `SELECT COUNT(*) AS n FROM t_webhook_endpoint WHERE url LIKE 'ftp%' OR url = 'not a url'`,
    );
    expect(Number(n)).toBe(0);
  });
});
