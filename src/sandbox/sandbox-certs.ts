import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import * as forge from 'node-forge';
import type { GatewayAnswer } from './sandbox-trade.types';

/**
 * The Alipay sandbox's public-key-certificate mode, written apart from the service's
 * (src/payment/channels/alipay/alipay.certs.ts): a test CA issues the app certificate (the merchant's key)
 * and Alipay's public certificate (the sandbox's gateway key); node-forge builds them (node:crypto cannot
 * issue X.509). SNs as the open platform defines them (MD5 of issuer name + decimal serial).
 */

export interface IssuedCert {
  privatePem: string | null;
  certPem: string;
}

/** A fresh RSA key pair (PKCS8 / SPKI PEM) for a CA. */
export function caKeyPair(): { privatePem: string; publicPem: string } {
  const p = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: p.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicPem: p.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/**
 * A certificate for `publicPem`, valid from a day ago for `days`, signed by `issuer` (a self-signed root
 * when the issuer is the key itself). `subject`: `K=v,K=v` in order, root first (C, O, OU, CN).
 */
export function issueCert(opts: {
  subject: string;
  publicPem: string;
  issuer: { certPem: string | null; privatePem: string };
  ca: boolean;
  days: number;
}): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(opts.publicPem);
  cert.serialNumber = `1${randomBytes(8).toString('hex')}`;
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 86400_000);
  cert.validity.notAfter = new Date(now + opts.days * 86400_000);
  const attrs = opts.subject.split(',').map((p) => {
    const [shortName, value] = p.split('=');
    return { shortName, value };
  });
  cert.setSubject(attrs);
  cert.setIssuer(
    opts.issuer.certPem ? forge.pki.certificateFromPem(opts.issuer.certPem).subject.attributes : attrs,
  );
  cert.setExtensions([
    { name: 'basicConstraints', cA: opts.ca },
    {
      name: 'keyUsage',
      keyCertSign: opts.ca,
      cRLSign: opts.ca,
      digitalSignature: !opts.ca,
      keyEncipherment: !opts.ca,
    },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(opts.issuer.privatePem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

const BLOCKS = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const RSA_SIGNATURE = '1.2.840.113549.1.1';

/** SN of one certificate: MD5 hex of the issuer's attributes last to first (`CN=…,OU=…,O=…,C=…`) + decimal serial. */
export function certSn(pem: string): string {
  const cert = forge.pki.certificateFromPem(pem.match(BLOCKS)?.[0] ?? pem);
  const issuer = cert.issuer.attributes
    .map((a) => `${a.shortName ?? ''}=${String(a.value)}`)
    .reverse()
    .join(',');
  const serial = BigInt(`0x${cert.serialNumber}`).toString(10);
  // forge decodes UTF8String values; the digest is over the name's UTF-8 bytes
  return createHash('md5')
    .update(issuer + serial, 'utf8')
    .digest('hex');
}

/** SN of a root chain: the SNs of its RSA-signed certificates joined by `_` (others — SM2, ECC — skipped). */
export function rootCertSn(pem: string): string {
  const sns: string[] = [];
  for (const block of pem.match(BLOCKS) ?? []) {
    let oid: string;
    try {
      oid = forge.pki.certificateFromPem(block).signatureOid ?? '';
    } catch {
      continue; // forge reads RSA certificates only: an ECC / SM2 root is not part of the SN
    }
    if (oid.startsWith(RSA_SIGNATURE)) sns.push(certSn(block));
  }
  return sns.join('_');
}

/** The SNs the sandbox knows its merchant's requests by, and signs its answers under. */
export interface SandboxCertSns {
  appCertSn: string;
  alipayRootCertSn: string;
  alipayCertSn: string;
}

const invalid = (sub_code: string, sub_msg: string): GatewayAnswer => ({
  code: '40002',
  msg: 'Invalid Arguments',
  sub_code,
  sub_msg,
});

/**
 * The certificate checks of a request. A request carrying app_cert_sn / alipay_root_cert_sn is in
 * certificate mode: both must be there and be the sandbox's (the app certificate it issued, its root
 * chain). Without them the request is in public-key mode, refused only where `certRequired` (the fund
 * APIs of a production app). Sub-codes as Alipay's error list names them (isv.missing-app-cert-sn,
 * isv.missing-alipay-root-cert-sn, isv.invalid-alipay-root-cert-sn, isv.app-cert-not-exist); the main
 * code 40002 for all of them is uncertain (seen for isv.missing-app-cert-sn only).
 */
export function certRefusal(
  params: Record<string, string>,
  sns: SandboxCertSns,
  certRequired: boolean,
): GatewayAnswer | undefined {
  const app = params.app_cert_sn;
  const root = params.alipay_root_cert_sn;
  if (!app && !root) {
    return certRequired ? invalid('isv.missing-app-cert-sn', '缺少应用公钥证书序列号') : undefined;
  }
  if (!app) return invalid('isv.missing-app-cert-sn', '缺少应用公钥证书序列号');
  if (!root) return invalid('isv.missing-alipay-root-cert-sn', '缺少支付宝根证书序列号');
  if (app !== sns.appCertSn) return invalid('isv.app-cert-not-exist', `应用公钥证书不存在: ${app}`);
  if (root !== sns.alipayRootCertSn) {
    return invalid('isv.invalid-alipay-root-cert-sn', `支付宝根证书序列号无效: ${root}`);
  }
  return undefined;
}
