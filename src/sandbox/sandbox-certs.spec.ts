import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { caKeyPair, certRefusal, certSn, issueCert, rootCertSn } from './sandbox-certs';

/** The sandbox's own SN computation, against alipay-sdk's fixtures and the SNs its tests publish. */
const fixture = (name: string) =>
  readFileSync(join(__dirname, '../../test/fixtures/alipay-certs', name), 'utf8');

describe('sandbox certificates', () => {
  it('SNs of real Alipay certificates as alipay-sdk computes them', () => {
    expect(certSn(fixture('appCertPublicKey_2021001161683774.crt'))).toBe('866efef280dec9137a87d047ac446315');
    expect(certSn(fixture('alipayCertPublicKey_RSA2.crt'))).toBe('7513daaaa48aa3ba2e4018d84402479c');
    expect(rootCertSn(fixture('alipayRootCert.crt'))).toBe(
      '687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6',
    );
  });

  it('issues a certificate its SN names by issuer and serial', () => {
    const root = caKeyPair();
    const leaf = caKeyPair();
    const rootPem = issueCert({
      subject: 'C=CN,O=t,CN=root',
      publicPem: root.publicPem,
      issuer: { certPem: null, privatePem: root.privatePem },
      ca: true,
      days: 10,
    });
    const a = issueCert({
      subject: 'C=CN,CN=a',
      publicPem: leaf.publicPem,
      issuer: { certPem: rootPem, privatePem: root.privatePem },
      ca: false,
      days: 10,
    });
    const b = issueCert({
      subject: 'C=CN,CN=a',
      publicPem: leaf.publicPem,
      issuer: { certPem: rootPem, privatePem: root.privatePem },
      ca: false,
      days: 10,
    });
    expect(certSn(a)).toMatch(/^[0-9a-f]{32}$/);
    expect(certSn(a)).not.toBe(certSn(b)); // another serial
    expect(rootCertSn(rootPem + rootPem)).toBe(`${certSn(rootPem)}_${certSn(rootPem)}`);
  });

  describe('certRefusal', () => {
    const sns = { appCertSn: 'app', alipayRootCertSn: 'root', alipayCertSn: 'ali' };
    it.each([
      [{}, false, undefined],
      [{}, true, 'isv.missing-app-cert-sn'],
      [{ alipay_root_cert_sn: 'root' }, false, 'isv.missing-app-cert-sn'],
      [{ app_cert_sn: 'app' }, false, 'isv.missing-alipay-root-cert-sn'],
      [{ app_cert_sn: 'other', alipay_root_cert_sn: 'root' }, false, 'isv.app-cert-not-exist'],
      [{ app_cert_sn: 'app', alipay_root_cert_sn: 'old' }, true, 'isv.invalid-alipay-root-cert-sn'],
      [{ app_cert_sn: 'app', alipay_root_cert_sn: 'root' }, true, undefined],
    ])('%j (cert required: %p) → %p', (params, required, sub) => {
      const r = certRefusal(params as Record<string, string>, sns, required);
      expect(r?.sub_code).toBe(sub);
      if (r) expect(r.code).toBe('40002');
    });
  });
});
