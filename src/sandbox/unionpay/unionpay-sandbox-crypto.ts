import {
  createHash,
  generateKeyPairSync,
  randomBytes,
  sign as rsaSign,
  verify as rsaVerify,
} from 'node:crypto';
import * as forge from 'node-forge';

/**
 * The UnionPay sandbox's own crypto, written apart from the service's (src/payment/channels/unionpay):
 * the acp 5.1.0 signMethod=01 recipe and a test PKI (root → intermediate → UnionPay's signing
 * certificate, and a merchant certificate under the same intermediate). node-forge builds the
 * certificates (node:crypto cannot issue X.509).
 */

/** Sorted `k=v&…` of the non-empty fields but `signature`, SHA-256 as lowercase hex. */
export function digestOf(fields: Record<string, string>): string {
  const keys = Object.keys(fields).sort();
  let text = '';
  for (const k of keys) {
    if (k === 'signature' || !fields[k]) continue;
    text += `${text ? '&' : ''}${k}=${fields[k]}`;
  }
  return createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex');
}

export function signFields(fields: Record<string, string>, privatePem: string): string {
  return rsaSign('sha256', Buffer.from(digestOf(fields)), privatePem).toString('base64');
}

export function verifyFields(fields: Record<string, string>, certPem: string): boolean {
  try {
    return rsaVerify(
      'sha256',
      Buffer.from(digestOf(fields)),
      certPem,
      Buffer.from(fields.signature ?? '', 'base64'),
    );
  } catch {
    return false;
  }
}

/** The certificate's serial in decimal (the merchant's certId). */
export function decimalSerial(certPem: string): string {
  return BigInt(`0x${forge.pki.certificateFromPem(certPem).serialNumber}`).toString();
}

export interface IssuedCert {
  privatePem: string;
  certPem: string;
}

/** A fresh test PKI: root, middle (CA), UnionPay's signing certificate and the merchant's. */
export function issueTestPki(merId: string): Record<'root' | 'middle' | 'gateway' | 'merchant', IssuedCert> {
  const root = issue('CN=oncepay sandbox UnionPay root', null, true, 3650);
  const middle = issue('CN=oncepay sandbox UnionPay middle', root, true, 3650);
  const gateway = issue('CN=041@Zsandbox@00040000:SIGN@00000001,OU=CUPRA', middle, false, 1825);
  const merchant = issue(`CN=041@Zsandbox@${merId}@00000001,OU=merchant`, middle, false, 1825);
  return { root, middle, gateway, merchant };
}

/** A certificate valid from a day ago to `days` from now (and one already expired, for the fault mode). */
export function issue(
  subject: string,
  issuer: IssuedCert | null,
  ca: boolean,
  days: number,
  expired = false,
): IssuedCert {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(
    pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  );
  cert.serialNumber = `1${randomBytes(5).toString('hex')}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - (expired ? 10 : 1) * 86400_000);
  cert.validity.notAfter = new Date(now + (expired ? -5 : days) * 86400_000);
  const attrs = subject.split(',').map((p) => {
    const [k, v] = p.split('=');
    return { shortName: k, value: v };
  });
  cert.setSubject(attrs);
  const issuerCert = issuer ? forge.pki.certificateFromPem(issuer.certPem) : null;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: ca },
    { name: 'keyUsage', keyCertSign: ca, cRLSign: ca, digitalSignature: !ca, nonRepudiation: !ca },
  ]);
  const signer = forge.pki.privateKeyFromPem(issuer ? issuer.privatePem : privatePem);
  cert.sign(signer, forge.md.sha256.create());
  return { privatePem, certPem: forge.pki.certificateToPem(cert) };
}
