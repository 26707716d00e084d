import { eventually } from './factories/order.factory';
import { productionGatewayEnv } from './utils/gateway-env';
import { createTestApp, TestApp } from './utils/test-app';

const PROD = {
  NODE_ENV: 'production',
  PAYMENT_GATEWAY: 'alipay',
  JWT_SECRET: 'a-production-secret-of-length',
  DB_CREATE_DATABASE: 'true',
};

/** Issue 10: production refuses to start half-configured; /health and Swagger tell the truth. */
describe('production refuses to start half-configured', () => {
  const full = productionGatewayEnv();
  it.each([
    ['ALIPAY_PRIVATE_KEY', { ...full, ALIPAY_PRIVATE_KEY: '' }, /"ALIPAY_PRIVATE_KEY" is required/],
    ['ALIPAY_PUBLIC_KEY', { ...full, ALIPAY_PUBLIC_KEY: '' }, /"ALIPAY_PUBLIC_KEY" is required/],
    ['ALIPAY_GATEWAY_URL', { ...full, ALIPAY_GATEWAY_URL: '' }, /"ALIPAY_GATEWAY_URL"/],
    [
      'unparsable private key',
      { ...full, ALIPAY_PRIVATE_KEY: 'not-a-key' },
      /"ALIPAY_PRIVATE_KEY" is not a readable/,
    ],
    [
      'unparsable public key',
      { ...full, ALIPAY_PUBLIC_KEY: 'AAAA' },
      /"ALIPAY_PUBLIC_KEY" is not a readable/,
    ],
  ])('%s → the start stops with one line naming it', async (_name, env, msg) => {
    let error: Error | undefined;
    try {
      const t = await createTestApp({ env: { ...PROD, ...env } });
      await t.close();
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(msg);
    expect(error?.message.split('\n')).toHaveLength(1);
  });
});

describe('production, fully configured (real MySQL + Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...PROD, ...productionGatewayEnv() } });
  });
  afterAll(() => t.close());

  it('/health reports the gateway keys ready', async () => {
    // MySQL/Redis pings have 1-1.5 s timeouts: on a loaded machine one may miss; the gateway part is static
    const res = await eventually(
      async () => {
        const r = await t.http().get('/health');
        return r.status === 200 ? r : null;
      },
      30000,
      200,
    );
    expect(res.body.info.gateway).toEqual({
      status: 'up',
      gateway: 'alipay',
      privateKey: 'ready',
      publicKey: 'ready',
    });
  });

  it('/metrics is closed without METRICS_TOKEN in production: 401 for everyone', async () => {
    const res = await t.http().get('/metrics').expect(401);
    expect(res.body).toMatchObject({ code: 'UNAUTHORIZED', requestId: expect.any(String) });
    await t.http().get('/metrics').set('Authorization', 'Bearer anything-at-all-0123').expect(401);
  });

  it('Swagger is off by default in production', async () => {
    await t.http().get('/docs-json').expect(404);
    await t.http().get('/docs').expect(404);
  });
});

describe('production with SWAGGER_ENABLED=true and METRICS_TOKEN', () => {
  let t: TestApp;
  const METRICS_TOKEN = 'prod-scrape-token-0123456789';
  beforeAll(async () => {
    t = await createTestApp({
      env: { ...PROD, ...productionGatewayEnv(), SWAGGER_ENABLED: 'true', METRICS_TOKEN },
    });
  });
  afterAll(() => t.close());

  it('/metrics answers the scraper that sends METRICS_TOKEN, and no one else', async () => {
    await t.http().get('/metrics').expect(401);
    const res = await t.http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    expect(res.text).toContain('http_request_duration_seconds');
  });

  it('lists only mounted routes: no dev tokens, no sandbox', async () => {
    const res = await t.http().get('/docs-json').expect(200);
    const paths = Object.keys(res.body.paths);
    expect(paths).toContain('/v1/orders');
    expect(paths.filter((p) => p.startsWith('/v1/dev') || p.startsWith('/sandbox'))).toEqual([]);
    await t.http().post('/v1/dev/tokens').send({ userId: 'u1', role: 'admin' }).expect(404);
  });
});

describe('development with the real gateway but no keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { PAYMENT_GATEWAY: 'alipay' } });
  });
  afterAll(() => t.close());

  it('starts (not production) but /health says the keys are missing: 503', async () => {
    const res = await t.http().get('/health').expect(503);
    expect(res.body.details?.gateway ?? res.body.error?.gateway).toMatchObject({
      status: 'down',
      privateKey: 'missing',
      publicKey: 'missing',
    });
  });
});
