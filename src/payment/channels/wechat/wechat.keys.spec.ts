import { generateKeyPairSync } from 'node:crypto';
import {
  TEST_PLATFORM_CERT_KEY_PEM,
  TEST_PLATFORM_CERT_PEM,
  TEST_PLATFORM_CERT_SERIAL,
} from '../../../../test/factories/wechat-platform-cert';
import { validateEnv } from '../../../config/env.validation';
import { checkWechatKeys, normalizeSerial, readWechatPlatformKey } from './wechat.keys';

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pubKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUB_ID = 'PUB_KEY_ID_0119000001092026113000000000000001';

function wechatEnv(over: Record<string, string> = {}): Record<string, string> {
  return {
    WECHAT_MCHID: '1900000109',
    WECHAT_APPID: 'wxd678efh567hg6787',
    WECHAT_MERCHANT_PRIVATE_KEY: merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    WECHAT_MERCHANT_SERIAL: '3775B6A45ACD588826D15E583A95F5DD00000001',
    WECHAT_API_V3_KEY: 'k'.repeat(16) + 'K'.repeat(16),
    WECHAT_PLATFORM_PUBLIC_KEY: pubKey.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    WECHAT_PLATFORM_PUBLIC_KEY_ID: PUB_ID,
    WECHAT_API_BASE_URL: 'https://api.mch.weixin.qq.com',
    ...over,
  };
}

describe('checkWechatKeys', () => {
  it('a complete configuration is ready; a certificate whose serial is the id is ready', () => {
    expect(checkWechatKeys(wechatEnv())).toEqual({
      keys: { merchantPrivateKey: 'ready', apiV3Key: 'ready', platformKey: 'ready' },
      problems: [],
    });
    const cert = checkWechatKeys(
      wechatEnv({
        WECHAT_PLATFORM_PUBLIC_KEY: TEST_PLATFORM_CERT_PEM,
        // serials compare as hex numbers: case and leading zeros do not matter
        WECHAT_PLATFORM_PUBLIC_KEY_ID: `00${TEST_PLATFORM_CERT_SERIAL.toLowerCase()}`,
      }),
    );
    expect(cert.problems).toEqual([]);
  });

  it('two platform keys at once: a certificate and a WeChat Pay public key', () => {
    const both = checkWechatKeys(
      wechatEnv({
        WECHAT_PLATFORM_PUBLIC_KEY_2: TEST_PLATFORM_CERT_PEM,
        WECHAT_PLATFORM_PUBLIC_KEY_ID_2: TEST_PLATFORM_CERT_SERIAL,
      }),
    );
    expect(both).toMatchObject({ keys: { platformKey: 'ready', platformKey2: 'ready' }, problems: [] });
  });

  it.each([
    [
      'garbage merchant key',
      { WECHAT_MERCHANT_PRIVATE_KEY: 'not-a-key' },
      'WECHAT_MERCHANT_PRIVATE_KEY',
      /readable RSA private key/,
    ],
    [
      'an EC merchant key',
      {
        WECHAT_MERCHANT_PRIVATE_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }) as string,
      },
      'WECHAT_MERCHANT_PRIVATE_KEY',
      /\(a ec key, not RSA\)/,
    ],
    [
      'garbage platform key',
      { WECHAT_PLATFORM_PUBLIC_KEY: 'AAAA' },
      'WECHAT_PLATFORM_PUBLIC_KEY',
      /readable RSA public key/,
    ],
    [
      'a certificate whose serial is not the configured id',
      { WECHAT_PLATFORM_PUBLIC_KEY: TEST_PLATFORM_CERT_PEM, WECHAT_PLATFORM_PUBLIC_KEY_ID: PUB_ID },
      'WECHAT_PLATFORM_PUBLIC_KEY_ID',
      /is not the serial of the certificate in WECHAT_PLATFORM_PUBLIC_KEY \(5157F09E/,
    ],
    [
      'a second key without its id',
      { WECHAT_PLATFORM_PUBLIC_KEY_2: TEST_PLATFORM_CERT_PEM },
      'WECHAT_PLATFORM_PUBLIC_KEY_ID_2',
      /is required when WECHAT_PLATFORM_PUBLIC_KEY_2 is set/,
    ],
    [
      'a second key with the first id',
      {
        WECHAT_PLATFORM_PUBLIC_KEY_2: TEST_PLATFORM_CERT_PEM,
        WECHAT_PLATFORM_PUBLIC_KEY_ID_2: TEST_PLATFORM_CERT_SERIAL,
        WECHAT_PLATFORM_PUBLIC_KEY_ID: TEST_PLATFORM_CERT_SERIAL,
        WECHAT_PLATFORM_PUBLIC_KEY: TEST_PLATFORM_CERT_PEM,
      },
      'WECHAT_PLATFORM_PUBLIC_KEY_ID_2',
      /must differ/,
    ],
  ])('%s → a problem naming the variable', (_name, over, variable, message) => {
    const { problems } = checkWechatKeys(wechatEnv(over as Record<string, string>));
    expect(problems[0]).toEqual({ variable, message: expect.stringMatching(message) });
  });

  it('an expired certificate is invalid', () => {
    const later = new Date('2200-01-01T00:00:00Z');
    const { keys, problems } = checkWechatKeys(
      wechatEnv({
        WECHAT_PLATFORM_PUBLIC_KEY: TEST_PLATFORM_CERT_PEM,
        WECHAT_PLATFORM_PUBLIC_KEY_ID: TEST_PLATFORM_CERT_SERIAL,
      }),
      later,
    );
    expect(keys.platformKey).toBe('invalid');
    expect(problems[0]).toMatchObject({
      variable: 'WECHAT_PLATFORM_PUBLIC_KEY',
      message: /expired on 2126-/,
    });
  });

  it('unset keys are missing (the sandbox or production decides what that means)', () => {
    expect(checkWechatKeys({}).keys).toEqual({
      merchantPrivateKey: 'missing',
      apiV3Key: 'missing',
      platformKey: 'missing',
    });
  });

  it("the certificate's public key is what verifies (the key the test signs with)", () => {
    const read = readWechatPlatformKey(TEST_PLATFORM_CERT_PEM);
    expect(read.certSerial).toBe(normalizeSerial(TEST_PLATFORM_CERT_SERIAL));
    expect(TEST_PLATFORM_CERT_KEY_PEM).toContain('PRIVATE KEY');
  });
});

describe('validateEnv in production with the wechat channel', () => {
  const prod = (over: Record<string, string>) => ({
    NODE_ENV: 'production',
    JWT_SECRET: 'x'.repeat(20),
    PAYMENT_GATEWAY: 'alipay',
    PAYMENT_CHANNELS: 'alipay,wechat',
    ALIPAY_PRIVATE_KEY: merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    ALIPAY_PUBLIC_KEY: pubKey.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    ALIPAY_GATEWAY_URL: 'https://openapi.alipay.example/gateway.do',
    PUBLIC_BASE_URL: 'https://pay.example',
    ...wechatEnv(),
    ...over,
  });

  it('starts with good keys', () => {
    expect(() => validateEnv(prod({}))).not.toThrow();
  });

  it('refuses garbage keys with one line naming the variable', () => {
    expect(() => validateEnv(prod({ WECHAT_MERCHANT_PRIVATE_KEY: 'garbage' }))).toThrow(
      /^Invalid configuration: "WECHAT_MERCHANT_PRIVATE_KEY" is not a readable RSA private key[^\n]*$/,
    );
    expect(() => validateEnv(prod({ WECHAT_PLATFORM_PUBLIC_KEY: TEST_PLATFORM_CERT_PEM }))).toThrow(
      /"WECHAT_PLATFORM_PUBLIC_KEY_ID" PUB_KEY_ID_\w+ is not the serial of the certificate/,
    );
  });

  it('outside production garbage keys start (and /health says invalid)', () => {
    expect(() => validateEnv({ WECHAT_MERCHANT_PRIVATE_KEY: 'garbage' })).not.toThrow();
  });

  it('a half-configured second key is refused in any environment', () => {
    expect(() => validateEnv({ WECHAT_PLATFORM_PUBLIC_KEY_ID_2: 'PUB_KEY_ID_2' })).toThrow(
      /"WECHAT_PLATFORM_PUBLIC_KEY_2" is required when WECHAT_PLATFORM_PUBLIC_KEY_ID_2 is set/,
    );
  });
});
