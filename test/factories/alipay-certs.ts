import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import * as forge from 'node-forge';

/** A CA for tests: its key and certificate (PEM). */
export interface TestCa {
  privatePem: string;
  certPem: string;
}

const attrs = (dn: string) =>
  dn.split(',').map((p) => {
    const [shortName, value] = p.split('=');
    return { shortName, value };
  });

/** A certificate for `publicPem` signed by `ca` (null: self-signed with `selfKey`), valid a day ago to in `days`. */
export function testCert(
  subject: string,
  publicPem: string,
  ca: TestCa | null,
  selfKey?: string,
  isCa = false,
  /** days of validity from now (negative: expired that many days ago) */
  days = 365,
): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = `1${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - (days < 0 ? 30 : 1) * 86400_000);
  cert.validity.notAfter = new Date(Date.now() + days * 86400_000);
  cert.setSubject(attrs(subject));
  cert.setIssuer(ca ? forge.pki.certificateFromPem(ca.certPem).subject.attributes : attrs(subject));
  cert.setExtensions([{ name: 'basicConstraints', cA: isCa }]);
  cert.sign(forge.pki.privateKeyFromPem(ca ? ca.privatePem : selfKey!), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export function testCa(cn = 'test Alipay root'): TestCa {
  const k = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicPem = k.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return { privatePem, certPem: testCert(`C=CN,O=test,CN=${cn}`, publicPem, null, privatePem, true) };
}

/**
 * A complete certificate-mode configuration for the merchant key `privatePem`: the app certificate for
 * its public key, Alipay's certificate for `alipayPublicPem` (a fresh key when absent), the root.
 */
export function alipayCertEnv(privatePem: string, alipayPublicPem?: string): Record<string, string> {
  const ca = testCa();
  const appPublic = createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }) as string;
  const alipayPublic =
    alipayPublicPem ??
    (generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    }) as string);
  return {
    ALIPAY_APP_CERT: testCert('C=CN,O=merchant,OU=Alipay,CN=2021000000000001', appPublic, ca),
    ALIPAY_PUBLIC_CERT: testCert('C=CN,O=Alipay,OU=Alipay,CN=2021000000000001', alipayPublic, ca),
    ALIPAY_ROOT_CERT: ca.certPem,
  };
}
