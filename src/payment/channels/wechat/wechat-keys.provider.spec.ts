import { createSign, generateKeyPairSync } from 'node:crypto';
import {
  TEST_PLATFORM_CERT_KEY_PEM,
  TEST_PLATFORM_CERT_PEM,
  TEST_PLATFORM_CERT_SERIAL,
} from '../../../../test/factories/wechat-platform-cert';
import { WechatKeysProvider } from './wechat-keys.provider';
import { checkSignature } from './wechat-notify';

const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pubKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PUB_ID = 'PUB_KEY_ID_0119000001092026113000000000000001';

describe('WechatKeysProvider with two platform keys (a switch)', () => {
  const provider = new WechatKeysProvider(
    { findWechatKey: jest.fn() } as never,
    {
      mchid: '1900000109',
      appid: 'wxd678efh567hg6787',
      merchantPrivateKey: merchant.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
      merchantSerial: '3775B6A45ACD588826D15E583A95F5DD00000001',
      apiV3Key: 'k'.repeat(32),
      platformPublicKey: TEST_PLATFORM_CERT_PEM,
      platformPublicKeyId: TEST_PLATFORM_CERT_SERIAL,
      platformPublicKey2: pubKey.publicKey.export({ type: 'spki', format: 'pem' }) as string,
      platformPublicKeyId2: PUB_ID,
      sandboxEnabled: false,
    } as never,
  );

  const headers = (
    serial: string,
    key: Parameters<ReturnType<typeof createSign>['sign']>[0],
    body: string,
  ) => {
    const ts = String(Math.floor(Date.now() / 1000));
    const nonce = 'n0nce';
    return {
      'wechatpay-timestamp': ts,
      'wechatpay-nonce': nonce,
      'wechatpay-signature': createSign('RSA-SHA256')
        .update(`${ts}\n${nonce}\n${body}\n`)
        .sign(key, 'base64'),
      'wechatpay-serial': serial,
    };
  };

  it('verifies with the certificate (by its serial) and with the WeChat Pay public key (by its id)', async () => {
    const keys = await provider.get();
    expect(Object.keys(keys.platformKeys).sort()).toEqual([TEST_PLATFORM_CERT_SERIAL, PUB_ID].sort());
    const body = '{"id":"EV-1"}';
    const byCert = headers(TEST_PLATFORM_CERT_SERIAL, TEST_PLATFORM_CERT_KEY_PEM, body);
    expect(checkSignature(byCert, body, keys.platformKeys)).toEqual({ ok: true });
    const byPub = headers(PUB_ID, pubKey.privateKey, body);
    expect(checkSignature(byPub, body, keys.platformKeys)).toEqual({ ok: true });
    // each signature verifies only under its own serial
    expect(
      checkSignature({ ...byPub, 'wechatpay-serial': TEST_PLATFORM_CERT_SERIAL }, body, keys.platformKeys),
    ).toMatchObject({
      ok: false,
      code: 'BAD_SIGNATURE',
    });
  });
});
