import { eventually } from './factories/order.factory';
import { TEST_PLATFORM_CERT_PEM, TEST_PLATFORM_CERT_SERIAL } from './factories/wechat-platform-cert';
import { alipayCertEnv } from './factories/alipay-certs';
import { productionGatewayEnv, wechatProductionEnv } from './utils/gateway-env';
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
    [
      'certificate mode half-configured (no root chain)',
      { ...full, ...alipayCertEnv(full.ALIPAY_PRIVATE_KEY), ALIPAY_PUBLIC_KEY: '', ALIPAY_ROOT_CERT: '' },
      /"ALIPAY_ROOT_CERT" is required when NODE_ENV=production and PAYMENT_GATEWAY=alipay in certificate mode/,
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

describe('production with the wechat channel (issue 21 item 5)', () => {
  it.each([
    [
      'garbage merchant key',
      { WECHAT_MERCHANT_PRIVATE_KEY: 'garbage' },
      /"WECHAT_MERCHANT_PRIVATE_KEY" is not a readable RSA private key/,
    ],
    [
      'garbage platform key',
      { WECHAT_PLATFORM_PUBLIC_KEY: 'AAAA' },
      /"WECHAT_PLATFORM_PUBLIC_KEY" is not a readable/,
    ],
    [
      "a certificate that is not the id's",
      { WECHAT_PLATFORM_PUBLIC_KEY: TEST_PLATFORM_CERT_PEM },
      /"WECHAT_PLATFORM_PUBLIC_KEY_ID" PUB_KEY_ID_\w+ is not the serial of the certificate/,
    ],
  ])('%s → the start stops with one line naming it', async (_name, over, msg) => {
    let error: Error | undefined;
    try {
      const t = await createTestApp({
        env: { ...PROD, ...productionGatewayEnv(), ...wechatProductionEnv(), ...over },
      });
      await t.close();
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(msg);
    expect(error?.message.split('\n')).toHaveLength(1);
  });

  describe('good keys, two platform keys (a switch)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        env: {
          ...PROD,
          ...productionGatewayEnv(),
          ...wechatProductionEnv(),
          WECHAT_PLATFORM_PUBLIC_KEY_2: TEST_PLATFORM_CERT_PEM,
          WECHAT_PLATFORM_PUBLIC_KEY_ID_2: TEST_PLATFORM_CERT_SERIAL,
        },
      });
    });
    afterAll(() => t.close());

    it("/health reports each channel's keys ready", async () => {
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
        alipay: { privateKey: 'ready', publicKey: 'ready' },
        wechat: {
          merchantPrivateKey: 'ready',
          apiV3Key: 'ready',
          platformKey: 'ready',
          platformKey2: 'ready',
        },
      });
    });
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
      alipay: { privateKey: 'ready', publicKey: 'ready' },
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

describe('production in Alipay certificate mode (no ALIPAY_PUBLIC_KEY)', () => {
  let t: TestApp;
  beforeAll(async () => {
    const base = productionGatewayEnv();
    const certs = alipayCertEnv(base.ALIPAY_PRIVATE_KEY);
    t = await createTestApp({ env: { ...PROD, ...base, ALIPAY_PUBLIC_KEY: '', ...certs } });
  });
  afterAll(() => t?.close());

  it('/health reports the mode, the certificates ready and their SNs', async () => {
    const res = await eventually(
      async () => {
        const r = await t.http().get('/health');
        return r.status === 200 ? r : null;
      },
      30000,
      200,
    );
    expect(res.body.info.alipay).toEqual({
      status: 'up',
      enabled: true,
      mode: 'cert',
      appCertSn: expect.stringMatching(/^[0-9a-f]{32}$/),
      alipayCertSn: expect.stringMatching(/^[0-9a-f]{32}$/),
      alipayRootCertSn: expect.stringMatching(/^[0-9a-f]{32}$/),
      privateKey: 'ready',
      appCert: 'ready',
      alipayCert: 'ready',
      rootCert: 'ready',
    });
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
      alipay: { privateKey: 'missing', publicKey: 'missing' },
      wechat: { merchantPrivateKey: 'missing', apiV3Key: 'missing', platformKey: 'missing' },
    });
  });

  it('a WeChat notify while the keys do not load: 503 FAIL, logged cut to 2 KB (not a 500 storing 15 KB)', async () => {
    const body = JSON.stringify({
      id: 'EV-nokeys',
      event_type: 'TRANSACTION.SUCCESS',
      pad: 'x'.repeat(15000),
    });
    const res = await t
      .http()
      .post('/v1/callbacks/wechat')
      .set('Content-Type', 'application/json')
      .set('Wechatpay-Timestamp', String(Math.floor(Date.now() / 1000)))
      .set('Wechatpay-Nonce', 'n')
      .set('Wechatpay-Signature', 'c2ln')
      .set('Wechatpay-Serial', 'PUB_KEY_ID_X')
      .send(body);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ code: 'FAIL', message: 'keys unavailable' });
    const rows: Array<{ len: string; verified: number; outcome: string }> = await t.dataSource.query(
      "SELECT CHAR_LENGTH(raw_body) AS len, verified, outcome FROM t_callback_log WHERE channel = 'wechat'",
    );
    expect(rows.map((r) => [Number(r.len), Number(r.verified), r.outcome])).toEqual([[2048, 0, 'ERROR']]);
  });
});
