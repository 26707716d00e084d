import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import * as forge from 'node-forge';
import type { KeyState } from '../../../config/key-check';
import { normalizePrivateKey, normalizePublicKey } from './alipay.keys';

/**
 * Alipay's public-key-certificate mode (公钥证书模式): the merchant's app certificate (ALIPAY_APP_CERT),
 * Alipay's public certificate (ALIPAY_PUBLIC_CERT, whose key verifies answers and notifies) and Alipay's
 * root chain (ALIPAY_ROOT_CERT), each PEM text as the open platform lets them be downloaded. alipay-sdk
 * computes the SNs it sends itself; these are the same computation, for the start check and /health.
 */

export const ALIPAY_CERT_VARS = ['ALIPAY_APP_CERT', 'ALIPAY_PUBLIC_CERT', 'ALIPAY_ROOT_CERT'] as const;

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * A certificate's SN as Alipay defines it: MD5 (hex) of the issuer's name — its attributes last to first,
 * `shortName=value` joined by `,` — followed by the serial number in decimal.
 */
export function alipayCertSn(pem: string): string {
  const blocks = pem.match(PEM_BLOCK);
  if (!blocks) throw new Error('no PEM certificate');
  return snOf(blocks[0]);
}

/**
 * The root chain's SN: the SN of every certificate in it signed with RSA (signature OID 1.2.840.113549.1.1.*;
 * the chain also holds SM2/ECC roots, which are skipped), joined by `_`.
 */
export function alipayRootCertSn(pem: string): string {
  const sns: string[] = [];
  for (const block of pem.match(PEM_BLOCK) ?? []) {
    const oid = signatureOid(block);
    if (oid?.startsWith('1.2.840.113549.1.1')) sns.push(snOf(block));
  }
  if (sns.length === 0) throw new Error('no RSA certificate in the root chain');
  return sns.join('_');
}

/** The SPKI PEM of the (first) certificate in `pem`: in certificate mode Alipay's key comes from its certificate. */
export function certPublicKey(pem: string): string {
  const blocks = pem.match(PEM_BLOCK);
  if (!blocks) throw new Error('no PEM certificate');
  return (new X509Certificate(blocks[0]).publicKey.export({ type: 'spki', format: 'pem' }) as string).trim();
}

/** Short names Alipay's SDKs print (an attribute of another type prints as `=value`, as alipay-sdk's does). */
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'E',
};

type Asn1 = forge.asn1.Asn1;
const kids = (n: Asn1): Asn1[] => n.value as Asn1[];

function certAsn1(block: string): Asn1 {
  const der = new X509Certificate(block).raw; // throws on what is not a certificate
  return forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
}

function snOf(block: string): string {
  const cert = certAsn1(block);
  // TBSCertificate: [0] version (optional), serialNumber, signature, issuer, …
  const tbs = kids(kids(cert)[0]);
  const at = tbs[0].tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const serial = BigInt(`0x${forge.util.bytesToHex(tbs[at].value as string) || '0'}`).toString(10);
  const attrs: string[] = [];
  for (const rdn of kids(tbs[at + 2])) {
    for (const atv of kids(rdn)) {
      const [type, value] = kids(atv);
      const oid = forge.asn1.derToOid(type.value as string);
      const raw = value.value as string;
      const text = value.type === forge.asn1.Type.UTF8 ? forge.util.decodeUtf8(raw) : raw;
      attrs.push(`${SHORT_NAMES[oid] ?? ''}=${text}`);
    }
  }
  return createHash('md5')
    .update(attrs.reverse().join(',') + serial, 'utf8')
    .digest('hex');
}

function signatureOid(block: string): string | undefined {
  try {
    return forge.asn1.derToOid(kids(kids(certAsn1(block))[1])[0].value as string);
  } catch {
    return undefined;
  }
}

/** Whether certificate mode is on: ALIPAY_CERT_MODE when set, else whether any certificate is configured. */
export function alipayCertMode(env: Record<string, unknown>): boolean {
  if (typeof env.ALIPAY_CERT_MODE === 'boolean') return env.ALIPAY_CERT_MODE;
  return ALIPAY_CERT_VARS.some((k) => typeof env[k] === 'string' && env[k] !== '');
}

export interface AlipayCertCheck {
  keys: Record<'appCert' | 'alipayCert' | 'rootCert', KeyState>;
  problems: Array<{ variable: string; message: string }>;
  /** the SNs of what is configured and readable (shown on /health; not secrets) */
  sns: { appCertSn?: string; alipayCertSn?: string; alipayRootCertSn?: string };
}

/**
 * Checks the configured certificates: each one readable; the app certificate carries the public key of
 * ALIPAY_PRIVATE_KEY (else Alipay refuses every request); ALIPAY_PUBLIC_KEY, when also set, is the key of
 * ALIPAY_PUBLIC_CERT (two different keys would leave it unclear which one verifies); the app and the Alipay
 * certificate not expired (Alipay answers isv.app-cert-expired; an expired Alipay certificate has been
 * replaced, and answers are signed with the new one).
 */
export function checkAlipayCerts(env: Record<string, unknown>): AlipayCertCheck {
  const out: AlipayCertCheck = {
    keys: { appCert: 'missing', alipayCert: 'missing', rootCert: 'missing' },
    problems: [],
    sns: {},
  };
  const text = (k: string) => (typeof env[k] === 'string' && env[k] !== '' ? String(env[k]) : undefined);
  const one = (
    name: keyof AlipayCertCheck['keys'],
    variable: string,
    sn: () => string,
    extra?: () => string | undefined,
  ) => {
    if (!text(variable)) return;
    let problem: string | undefined;
    try {
      const value = sn();
      problem = name === 'rootCert' ? undefined : expired(text(variable)!);
      problem ??= extra?.();
      if (!problem) out.sns[snName(name)] = value;
    } catch {
      problem = 'is not a readable PEM certificate';
    }
    out.keys[name] = problem ? 'invalid' : 'ready';
    if (problem) out.problems.push({ variable, message: problem });
  };
  one(
    'appCert',
    'ALIPAY_APP_CERT',
    () => alipayCertSn(text('ALIPAY_APP_CERT')!),
    () => {
      const key = text('ALIPAY_PRIVATE_KEY');
      if (!key) return undefined;
      let privateKey;
      try {
        privateKey = createPrivateKey(normalizePrivateKey(key));
      } catch {
        return undefined; // reported on ALIPAY_PRIVATE_KEY
      }
      const x = new X509Certificate(text('ALIPAY_APP_CERT')!.match(PEM_BLOCK)![0]);
      return x.checkPrivateKey(privateKey)
        ? undefined
        : 'is not the certificate of ALIPAY_PRIVATE_KEY (its public key differs)';
    },
  );
  one(
    'alipayCert',
    'ALIPAY_PUBLIC_CERT',
    () => alipayCertSn(text('ALIPAY_PUBLIC_CERT')!),
    () => {
      const configured = text('ALIPAY_PUBLIC_KEY');
      if (!configured) return undefined;
      const fromCert = certPublicKey(text('ALIPAY_PUBLIC_CERT')!);
      try {
        return normalizePublicKey(configured) === normalizePublicKey(fromCert)
          ? undefined
          : 'carries another key than ALIPAY_PUBLIC_KEY (set one of them, or the matching pair)';
      } catch {
        return undefined; // reported on ALIPAY_PUBLIC_KEY
      }
    },
  );
  one('rootCert', 'ALIPAY_ROOT_CERT', () => alipayRootCertSn(text('ALIPAY_ROOT_CERT')!));
  return out;
}

function expired(pem: string): string | undefined {
  const x = new X509Certificate(pem.match(PEM_BLOCK)![0]);
  return new Date(x.validTo).getTime() < Date.now() ? `has expired (valid to ${x.validTo})` : undefined;
}

function snName(k: keyof AlipayCertCheck['keys']): keyof AlipayCertCheck['sns'] {
  return k === 'appCert' ? 'appCertSn' : k === 'alipayCert' ? 'alipayCertSn' : 'alipayRootCertSn';
}
