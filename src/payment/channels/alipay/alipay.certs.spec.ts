import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alipayCertEnv, testCa, testCert } from '../../../../test/factories/alipay-certs';
import { validateEnv } from '../../../config/env.validation';
import {
  alipayCertMode,
  alipayCertSn,
  alipayRootCertSn,
  certPublicKey,
  checkAlipayCerts,
} from './alipay.certs';
import { ALIPAY_ENV } from './alipay.env';

/**
 * alipay-sdk's own test certificates (test/fixtures of alipay/alipay-sdk-nodejs-all: a real app
 * certificate, Alipay's RSA2 public certificate and the production root chain, four certificates of which
 * two are RSA) and the SNs and key its tests publish for them.
 */
const fixture = (name: string) =>
  readFileSync(join(__dirname, '../../../../test/fixtures/alipay-certs', name), 'utf8');
const APP_CERT = fixture('appCertPublicKey_2021001161683774.crt');
const ALIPAY_CERT = fixture('alipayCertPublicKey_RSA2.crt');
const ROOT_CERT = fixture('alipayRootCert.crt');
const ALIPAY_KEY_B64 =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAhoVesfcGvUv1XvUndmX0rmSZ/2posJBCooySbSVFpV79RtHMzrVz2aKkC3WvOXeT5iNeQK4mK8gp3vNkWrHTkQGx5BcmkeO1WS384CQde7dAS0gmxeFs5bs+cCQqV2A2c2R9/5rJMtFtp1Ot/rIiMBUn6Ei0UoztM7AneavqQEzSwYlCKNhPFFtHCiz7u4O5R9CIyvUmYr+zpem2HXBN9ygPAZ0aXBQipGbc45+G07ZCNsmY4hV/Igya1aBf+Ye8p10Ew8uBBri0sIknhSC2LqKKy2IH1fO6q1d1jhN240QRHvbpRNv60kAfZsEulBASBrCMBi49NiJyr5nre7SNywIDAQAB';

describe('Alipay certificate SNs (the values alipay-sdk publishes for its fixtures)', () => {
  it('app_cert_sn, the Alipay cert SN and alipay_root_cert_sn (RSA roots only, joined by _)', () => {
    expect(alipayCertSn(APP_CERT)).toBe('866efef280dec9137a87d047ac446315');
    expect(alipayCertSn(ALIPAY_CERT)).toBe('7513daaaa48aa3ba2e4018d84402479c');
    expect(alipayRootCertSn(ROOT_CERT)).toBe(
      '687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6',
    );
  });

  it("the key that verifies answers is the Alipay certificate's", () => {
    const pem = certPublicKey(ALIPAY_CERT);
    expect(pem.replace(/-----[^-]+-----|\s/g, '')).toBe(ALIPAY_KEY_B64);
  });

  it('refuses what is not a certificate; a chain without an RSA certificate has no SN', () => {
    expect(() => alipayCertSn('garbage')).toThrow();
    expect(() => alipayRootCertSn('garbage')).toThrow(/no RSA certificate/);
  });
});

describe('Alipay certificate mode: settings', () => {
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const certs = alipayCertEnv(privatePem);
  const expiredAppCert = testCert(
    'C=CN,O=merchant,CN=2021000000000001',
    merchant.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    testCa(),
    undefined,
    false,
    -1,
  );
  const prod = {
    NODE_ENV: 'production',
    PAYMENT_GATEWAY: 'alipay',
    JWT_SECRET: 'a-production-secret-of-length',
    ALIPAY_PRIVATE_KEY: privatePem,
    ALIPAY_GATEWAY_URL: 'https://openapi.alipay.example/gateway.do',
    PUBLIC_BASE_URL: 'https://pay.example',
  };

  it('on when ALIPAY_CERT_MODE says so, else when any certificate is set', () => {
    expect(alipayCertMode({})).toBe(false);
    expect(alipayCertMode({ ALIPAY_ROOT_CERT: 'x' })).toBe(true);
    expect(alipayCertMode({ ALIPAY_CERT_MODE: true })).toBe(true);
    expect(alipayCertMode({ ALIPAY_CERT_MODE: false, ALIPAY_APP_CERT: 'x' })).toBe(false);
  });

  it('production starts with the three certificates and no ALIPAY_PUBLIC_KEY', () => {
    expect(() => validateEnv({ ...prod, ...certs })).not.toThrow();
  });

  it.each([
    [
      'only the app certificate',
      { ALIPAY_APP_CERT: certs.ALIPAY_APP_CERT },
      /"ALIPAY_PUBLIC_CERT" is required .*in certificate mode/,
    ],
    [
      'no root chain',
      { ...certs, ALIPAY_ROOT_CERT: '' },
      /"ALIPAY_ROOT_CERT" is required .*in certificate mode/,
    ],
    [
      'ALIPAY_CERT_MODE=true and no certificate',
      { ALIPAY_CERT_MODE: 'true' },
      /"ALIPAY_APP_CERT" is required/,
    ],
    [
      'certificates with ALIPAY_CERT_MODE=false',
      { ...certs, ALIPAY_CERT_MODE: 'false' },
      /"ALIPAY_APP_CERT" is set but ALIPAY_CERT_MODE=false/,
    ],
    ['neither mode', {}, /"ALIPAY_PUBLIC_KEY" is required/],
    [
      'an unreadable root',
      { ...certs, ALIPAY_ROOT_CERT: 'garbage' },
      /"ALIPAY_ROOT_CERT" is not a readable PEM certificate/,
    ],
    [
      'an app certificate of another key',
      { ...certs, ALIPAY_APP_CERT: certs.ALIPAY_PUBLIC_CERT },
      /"ALIPAY_APP_CERT" is not the certificate of ALIPAY_PRIVATE_KEY/,
    ],
    [
      'an expired app certificate',
      { ...certs, ALIPAY_APP_CERT: expiredAppCert },
      /"ALIPAY_APP_CERT" has expired \(valid to /,
    ],
    [
      'ALIPAY_PUBLIC_KEY that is not the certificate’s',
      {
        ...certs,
        ALIPAY_PUBLIC_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
          type: 'spki',
          format: 'pem',
        }) as string,
      },
      /"ALIPAY_PUBLIC_CERT" carries another key than ALIPAY_PUBLIC_KEY/,
    ],
  ])('production refuses %s, naming the variable in one line', (_n, over, msg) => {
    let error: Error | undefined;
    try {
      validateEnv({ ...prod, ...over });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(msg);
    expect(error?.message.split('\n')).toHaveLength(1);
  });

  it('outside production half a configuration is allowed (the sandbox fills in the rest)', () => {
    expect(() => validateEnv({ ALIPAY_APP_CERT: certs.ALIPAY_APP_CERT })).not.toThrow();
  });

  it('/health: the mode, the certificates and their SNs; public-key mode as before', () => {
    const env = validateEnv({ ...prod, ...certs });
    const sns = checkAlipayCerts(env).sns;
    expect(ALIPAY_ENV.keyReport!(env)).toEqual({
      facts: {
        mode: 'cert',
        appCertSn: alipayCertSn(certs.ALIPAY_APP_CERT),
        alipayCertSn: alipayCertSn(certs.ALIPAY_PUBLIC_CERT),
        alipayRootCertSn: alipayRootCertSn(certs.ALIPAY_ROOT_CERT),
      },
      keys: { privateKey: 'ready', appCert: 'ready', alipayCert: 'ready', rootCert: 'ready' },
    });
    expect(sns.appCertSn).toMatch(/^[0-9a-f]{32}$/);
    expect(ALIPAY_ENV.keyReport!(validateEnv({}))).toEqual({
      facts: { mode: 'publicKey' },
      keys: { privateKey: 'missing', publicKey: 'missing' },
    });
    expect(ALIPAY_ENV.keyReport!(validateEnv({ ALIPAY_CERT_MODE: 'true', ALIPAY_ROOT_CERT: 'x' }))).toEqual({
      facts: { mode: 'cert' },
      keys: { privateKey: 'missing', appCert: 'missing', alipayCert: 'missing', rootCert: 'invalid' },
    });
  });
});
