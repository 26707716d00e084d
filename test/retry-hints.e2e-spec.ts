import Redis from 'ioredis';
import { REDIS } from '../src/common/redis/redis.factory';
import { IdempotencyKeyStore } from '../src/idempotency/idempotency-key.store';
import { countOrders, createProduct, eventually, newUserId } from './factories/order.factory';
import { IdemProbeModule } from './utils/idem-probe.module';
import { createTestApp, randomSuffix, TestApp } from './utils/test-app';

/** Issue 10: retries are told when to come back, never shown library text, and tokens survive a 400. */
describe('retry hints and error details (real MySQL + Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      imports: [IdemProbeModule],
      // a gateway that is not there: every precreate fails → 502
      env: { ALIPAY_GATEWAY_URL: 'http://127.0.0.1:9/gateway.do', ALIPAY_TIMEOUT_MS: '300' },
    });
  });
  afterAll(() => t.close());

  it('409 REQUEST_IN_PROGRESS says Retry-After from how long the first has run, not the whole 30 s lease', async () => {
    const user = `u-${randomSuffix()}`;
    const post = (delayMs: number) =>
      t
        .http()
        .post('/v1/probe/widgets')
        .set('Authorization', t.bearer(user))
        .set('Idempotency-Key', 'slow-1')
        .send({ name: 'slow', delayMs });
    const first = post(1500).then((r) => r); // supertest sends on then()
    // the second is sent once the first holds the key (its lease is in Redis)
    const redis = t.app.get<Redis>(REDIS);
    const recordKey = t.app.get(IdempotencyKeyStore).recordKey(user, 'probe.widgets', 'slow-1');
    await eventually(async () => (await redis.exists(recordKey)) === 1, 10000, 20);
    const busy = await post(1500);
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('REQUEST_IN_PROGRESS');
    expect(busy.headers['retry-after']).toBe('1');
    expect((await first).status).toBe(201);
  });

  it('502 GATEWAY_UNAVAILABLE carries Retry-After', async () => {
    const p = await createProduct(t, { stock: 5 });
    const user = newUserId('gw');
    const o = await t
      .http()
      .post('/v1/orders')
      .set('Authorization', t.bearer(user))
      .send({ items: [{ productId: p.id, quantity: 1 }] })
      .expect(201);
    const res = await t
      .http()
      .post(`/v1/orders/${o.body.orderNo}/payments`)
      .set('Authorization', t.bearer(user))
      .send({ channel: 'alipay' });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('GATEWAY_UNAVAILABLE');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('a one-time Idempotency-Token is not used up by a request that fails validation', async () => {
    const p = await createProduct(t, { stock: 5 });
    const user = newUserId('tk');
    const tok = await t
      .http()
      .post('/v1/idempotency-tokens')
      .set('Authorization', t.bearer(user))
      .expect(201);
    const submit = (body: object) =>
      t
        .http()
        .post('/v1/orders')
        .set('Authorization', t.bearer(user))
        .set('Idempotency-Token', tok.body.token)
        .send(body);
    const bad = await submit({ items: [{ productId: p.id, quantity: 0 }] });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    await submit({ items: [{ productId: p.id, quantity: 1 }] }).expect(201);
    const again = await submit({ items: [{ productId: p.id, quantity: 2 }] });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('TOKEN_USED');
    expect(await countOrders(t, 'user_id = ?', [user])).toBe(1);
  });
});

describe('Redis down: 503 with Retry-After and a stable reason (real MySQL, dead Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      env: { REDIS_URL: 'redis://127.0.0.1:6390', REDIS_COMMAND_TIMEOUT_MS: '300' },
    });
  });
  afterAll(() => t.close());

  it('details.reason is a code, never the Redis library message', async () => {
    const user = newUserId('rd');
    for (const req of [
      t
        .http()
        .post('/v1/orders')
        .set('Authorization', t.bearer(user))
        .send({ items: [{ productId: 1, quantity: 1 }] }),
      t.http().post('/v1/idempotency-tokens').set('Authorization', t.bearer(user)),
    ]) {
      const res = await req;
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        details: { reason: 'STORE_UNAVAILABLE' },
      });
      expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|6390|Connection|timed out|ioredis|Stream/i);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
  });
});
