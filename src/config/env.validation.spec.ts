import { CFCA_TEST_OCA1, CFCA_TEST_ROOT } from '../payment/channels/unionpay/acp-test-sample';
import { generateKeyPairSync } from 'node:crypto';
import { CHANNEL_ENV_FRAGMENTS } from '../payment/channels/env-fragments';
import { longestCallTimeoutMs, validateEnv } from './env.validation';
import { parseClusterNodes } from './configuration';

/** A complete Alipay configuration: production with PAYMENT_GATEWAY=alipay refuses to start without one. */
const ALIPAY_PROD = {
  ALIPAY_PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string,
  ALIPAY_PUBLIC_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
    type: 'spki',
    format: 'pem',
  }) as string,
  ALIPAY_GATEWAY_URL: 'https://openapi.alipay.example/gateway.do',
  PUBLIC_BASE_URL: 'https://pay.example',
};

describe('validateEnv', () => {
  it('fills local defaults', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      DB_HOST: '127.0.0.1',
      DB_USER: 'root',
      DB_PASSWORD: '',
      DB_NAME: 'oncepay',
      PAYMENT_GATEWAY: 'sandbox',
      SUBMIT_DEDUP_WINDOW_MS: 10000,
      ORDER_TTL_MS: 900000,
      PAYMENT_TIMEOUT_MS: 900000,
      PAYMENT_QUERY_DELAYS_MS: '10000,20000,30000',
      SANDBOX_TIME_SCALE: 1,
    });
  });

  it.each([
    [{ PORT: 'abc' }, /"PORT" must be a number/],
    [{ DB_PORT: '70000' }, /"DB_PORT"/],
    [{ REDIS_URL: 'http://x' }, /"REDIS_URL"/],
    [{ REDIS_CLUSTER_NODES: 'not a node list' }, /"REDIS_CLUSTER_NODES" must be host:port/],
    [
      { REDIS_CLUSTER_NODES: '127.0.0.1:7101', REDIS_URL: 'redis://127.0.0.1:6379' },
      /"REDIS_CLUSTER_NODES" and "REDIS_URL" are one or the other/,
    ],
    [
      { REDIS_CLUSTER_NODES: 'redis://127.0.0.1:7101/2,127.0.0.1:7102' },
      /database 2: a Redis Cluster has only database 0/,
    ],
    [{ PAYMENT_GATEWAY: 'paypal' }, /"PAYMENT_GATEWAY" must be one of/],
    [{ PAYMENT_QUERY_DELAYS_MS: '10s,20s' }, /"PAYMENT_QUERY_DELAYS_MS"/],
    [{ SANDBOX_TIME_SCALE: '-1' }, /"SANDBOX_TIME_SCALE"/],
    [{ NODE_ENV: 'production', PAYMENT_GATEWAY: 'alipay' }, /"JWT_SECRET" is required/],
    [{ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(20) }, /"PAYMENT_GATEWAY" must not be sandbox/],
    [
      { PAYMENT_CHANNELS: 'alipay,paypal' },
      /"PAYMENT_CHANNELS" must be a comma-separated list of alipay, wechat, unionpay, wallet/,
    ],
    [{ WECHAT_API_V3_KEY: 'short' }, /"WECHAT_API_V3_KEY"/],
    [{ WECHAT_MCHID: 'abc' }, /"WECHAT_MCHID"/],
    [
      {
        NODE_ENV: 'production',
        JWT_SECRET: 'x'.repeat(20),
        PAYMENT_GATEWAY: 'alipay',
        ...ALIPAY_PROD,
        PAYMENT_CHANNELS: 'alipay,wechat',
        WECHAT_MCHID: '1900000109',
      },
      /"WECHAT_APPID" is required when PAYMENT_CHANNELS includes wechat/,
    ],
  ])('%j fails with one line naming the variable', (raw, msg) => {
    let error: Error | undefined;
    try {
      validateEnv(raw as Record<string, string>);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(msg);
    expect(error?.message).toMatch(/^Invalid configuration: /);
    expect(error?.message.split('\n')).toHaveLength(1);
  });

  it('enables wechat outside production by default, and only when asked for in production', () => {
    expect(validateEnv({}).PAYMENT_CHANNELS).toBe('alipay,wechat,unionpay,wallet');
    // a complete alipay configuration (production refuses to start without one)
    const alipay = {
      ALIPAY_PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }) as string,
      ALIPAY_PUBLIC_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
        type: 'spki',
        format: 'pem',
      }) as string,
      ALIPAY_GATEWAY_URL: 'https://openapi.alipay.example/gateway.do',
      PUBLIC_BASE_URL: 'https://pay.example',
    };
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(20), PAYMENT_GATEWAY: 'alipay', ...alipay };
    expect(validateEnv(prod).PAYMENT_CHANNELS).toBe('alipay,wallet');
    const full = {
      ...prod,
      PAYMENT_CHANNELS: 'alipay,wechat,wallet',
      WECHAT_MCHID: '1900000109',
      WECHAT_APPID: 'wxd678efh567hg6787',
      // real keys: production reads them at start (issue 21 item 5; 'pem' used to pass here)
      WECHAT_MERCHANT_PRIVATE_KEY: alipay.ALIPAY_PRIVATE_KEY,
      WECHAT_MERCHANT_SERIAL: '5157F09EFDC096DE15EBE81A47057A72',
      WECHAT_API_V3_KEY: 'k'.repeat(32),
      WECHAT_PLATFORM_PUBLIC_KEY: alipay.ALIPAY_PUBLIC_KEY,
      WECHAT_PLATFORM_PUBLIC_KEY_ID: 'PUB_KEY_ID_0119000001092025',
      WECHAT_API_BASE_URL: 'https://api.mch.weixin.qq.com',
    };
    expect(validateEnv(full).PAYMENT_CHANNELS).toBe('alipay,wechat,wallet');
    expect(() => validateEnv({ ...full, WECHAT_PLATFORM_PUBLIC_KEY: 'pem' })).toThrow(
      /"WECHAT_PLATFORM_PUBLIC_KEY" is not a readable RSA public key/,
    );
  });

  it('refuses a half-configured UnionPay in production, naming what is missing or unreadable', () => {
    const prod = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(20),
      PAYMENT_GATEWAY: 'alipay',
      ALIPAY_PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }) as string,
      ALIPAY_PUBLIC_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
        type: 'spki',
        format: 'pem',
      }) as string,
      ALIPAY_GATEWAY_URL: 'https://openapi.alipay.example/gateway.do',
      PUBLIC_BASE_URL: 'https://pay.example',
      PAYMENT_CHANNELS: 'alipay,unionpay,wallet',
    };
    expect(() => validateEnv(prod)).toThrow(
      /"UNIONPAY_MER_ID" is required when PAYMENT_CHANNELS includes unionpay/,
    );
    const certs = {
      ...prod,
      UNIONPAY_MER_ID: '777290058110048',
      UNIONPAY_ROOT_CERT: CFCA_TEST_ROOT,
      UNIONPAY_MIDDLE_CERT: CFCA_TEST_OCA1,
      UNIONPAY_GATEWAY_URL: 'https://gateway.95516.com',
    };
    expect(() => validateEnv(certs)).toThrow(
      /"UNIONPAY_SIGN_PFX" \(or UNIONPAY_SIGN_KEY \+ UNIONPAY_SIGN_CERT\)/,
    );
    expect(() => validateEnv({ ...certs, UNIONPAY_SIGN_KEY: prod.ALIPAY_PRIVATE_KEY })).toThrow(
      /"UNIONPAY_SIGN_CERT"/,
    );
    expect(() => validateEnv({ ...certs, UNIONPAY_ROOT_CERT: 'not a cert', UNIONPAY_SIGN_PFX: 'x' })).toThrow(
      /"UNIONPAY_ROOT_CERT" is not a readable PEM certificate/,
    );
    const full = { ...certs, UNIONPAY_SIGN_KEY: prod.ALIPAY_PRIVATE_KEY, UNIONPAY_SIGN_CERT: CFCA_TEST_OCA1 };
    expect(validateEnv(full).PAYMENT_CHANNELS).toBe('alipay,unionpay,wallet');
  });
});

describe('channel fragments', () => {
  it("composes every channel's variables and checks, its own and nobody else's", () => {
    // each fragment's variables are in the schema: a bad value of any of them names it
    for (const f of CHANNEL_ENV_FRAGMENTS) {
      for (const name of Object.keys(f.schema)) {
        expect(name.startsWith(`${f.channel.toUpperCase()}_`)).toBe(true);
      }
    }
    expect(() => validateEnv({ UNIONPAY_MER_ID: 'short' })).toThrow(/"UNIONPAY_MER_ID"/);
    expect(() => validateEnv({ ALIPAY_TIMEOUT_MS: '5' })).toThrow(/"ALIPAY_TIMEOUT_MS"/);
    // a fragment's check runs outside production too (a half-configured second WeChat platform key)
    expect(() => validateEnv({ WECHAT_PLATFORM_PUBLIC_KEY_2: 'x' })).toThrow(
      /"WECHAT_PLATFORM_PUBLIC_KEY_ID_2" is required when WECHAT_PLATFORM_PUBLIC_KEY_2 is set/,
    );
  });

  it('the lock timeout covers the slowest channel', () => {
    expect(longestCallTimeoutMs(validateEnv({}))).toBe(5000);
    expect(
      longestCallTimeoutMs(validateEnv({ UNIONPAY_TIMEOUT_MS: '9000', WECHAT_TIMEOUT_MS: '7000' })),
    ).toBe(9000);
  });
});

describe('REDIS_CLUSTER_NODES', () => {
  it('parses seed nodes, with or without a scheme, and keeps REDIS_URL out of the way', () => {
    const env = validateEnv({ REDIS_CLUSTER_NODES: '127.0.0.1:7101, redis://:pw@10.0.0.2:7102/0' });
    expect(parseClusterNodes(env.REDIS_CLUSTER_NODES)).toEqual([
      { host: '127.0.0.1', port: 7101, username: undefined, password: undefined, tls: false },
      { host: '10.0.0.2', port: 7102, username: undefined, password: 'pw', tls: false },
    ]);
  });
});
