import { OutboxService } from '../src/common/outbox/outbox.service';
import { TOPICS } from '../src/common/events/payment-events';
import { waitFor } from './callback-support';
import { createTestApp, TestApp } from './utils/test-app';
import { WebhookReceiver } from './webhook-receiver';

/** Two instances on one database both send webhooks; one event never has two attempts at once. */
describe('webhooks: two instances', () => {
  let a: TestApp;
  let b: TestApp;
  let r: WebhookReceiver;
  const env = {
    EVENTS_POLL_MS: '20',
    WEBHOOK_RETRY_DELAYS_MS: '0,0,0,0,0,0',
    WEBHOOK_TIMEOUT_MS: '1000',
  };
  beforeAll(async () => {
    a = await createTestApp({ env, keepDb: false });
    b = await createTestApp({ env, dbName: a.dbName, redisPrefix: a.redisPrefix, keepDb: true });
    // slow answers, failing the first three tries of every event: retries are due at once (delay 0),
    // so both instances' workers race for each of them
    r = await new WebhookReceiver((_, nth) => ({ status: nth <= 3 ? 500 : 200, delayMs: 80 })).start();
  });
  afterAll(async () => {
    await r.stop();
    await b.close();
    await a.close();
  });

  it('30 events, each retried 3 times by whichever instance claims it: never two attempts at once', async () => {
    await a
      .http()
      .post('/v1/admin/webhook-endpoints')
      .set('Authorization', a.bearer('ops', 'admin'))
      .send({ url: r.url })
      .expect(201);
    const n = 30;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        (i % 2 ? a : b).dataSource.transaction('READ COMMITTED', (m) =>
          (i % 2 ? a : b).app.get(OutboxService).add(m, TOPICS.PAYMENT_SUCCEEDED, `two-${i}`, {
            paymentNo: `two-${i}`,
            orderNo: `o-two-${i}`,
            userId: 'u',
            channel: 'alipay',
            amount: 1,
            channelTradeNo: null,
            paidAt: new Date().toISOString(),
          }),
        ),
      ),
    );
    await waitFor(
      async () => {
        const [{ d }] = await a.dataSource.query(
          "SELECT COUNT(*) AS d FROM t_webhook_delivery WHERE status = 'DELIVERED'",
        );
        return Number(d) === n;
      },
      'every event delivered',
      60000,
    );
    expect(r.maxInFlightPerEvent).toBe(1);
    const ids = new Set(r.received.map((x) => x.eventId));
    expect(ids.size).toBe(n);
    for (const id of ids) expect(r.received.filter((x) => x.eventId === id)).toHaveLength(4);
    const [{ attempts }] = await a.dataSource.query('SELECT COUNT(*) AS attempts FROM t_webhook_attempt');
    expect(Number(attempts)).toBe(4 * n);
  });
});
