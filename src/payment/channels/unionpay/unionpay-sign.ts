import { createHash, createPrivateKey, KeyObject, sign, verify, X509Certificate } from 'node:crypto';

/** A UnionPay message: every field a string (form values as received or to be sent). */
export type AcpFields = Record<string, string>;

/**
 * The text signMethod=01 signs: every field but `signature` with a non-empty value, sorted by key
 * (ASCII), joined as `k=v` with `&`, raw values (no URL encoding) — `signPubKeyCert` included.
 */
export function acpSignText(fields: AcpFields): string {
  return Object.keys(fields)
    .filter((k) => k !== 'signature' && fields[k] !== undefined && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
}

/** SHA-256 of the sign text's UTF-8 bytes as a lowercase hex string: what RSA-SHA256 then signs. */
export function acpDigestHex(fields: AcpFields): string {
  return createHash('sha256').update(acpSignText(fields), 'utf8').digest('hex');
}

/** The merchant's signing identity: its private key and `certId`, the certificate's serial in decimal. */
export interface AcpSigner {
  key: KeyObject;
  certId: string;
}

/** The decimal serial of a certificate (UnionPay's `certId`). */
export function certIdOf(cert: X509Certificate): string {
  return BigInt(`0x${cert.serialNumber}`).toString(10);
}

/** Signs a request: adds `signMethod=01` and `certId`, then `signature` (base64 RSA-SHA256 over the hex digest). */
export function acpSign(fields: AcpFields, signer: AcpSigner): AcpFields {
  const out: AcpFields = { ...fields, signMethod: '01', certId: signer.certId };
  delete out.signature;
  const digest = acpDigestHex(out);
  out.signature = sign('sha256', Buffer.from(digest, 'utf8'), signer.key).toString('base64');
  return out;
}

/** What a UnionPay signature is checked against: the configured root and intermediate certificates. */
export interface AcpTrust {
  root: X509Certificate;
  middle: X509Certificate;
  /**
   * Accepted third `@`-fields of the signing certificate's CN (UnionPay's SDK: `中国银联股份有限公司` in
   * production; the test environment's certificates carry `00040000:SIGN`).
   */
  identities: string[];
}

export type AcpVerdict = { ok: true; cert: X509Certificate } | { ok: false; reason: string };

/**
 * Verifies a message from UnionPay (a notify or a synchronous answer), signMethod=01: `signPubKeyCert`
 * must parse, be within its validity at `at`, be issued and signed by the configured intermediate,
 * which is issued and signed by the configured root, and carry an accepted identity in its CN; then
 * `signature` must verify (RSA-SHA256 over the lowercase hex SHA-256 of the sign text) with its key.
 * Never throws.
 */
export function acpVerify(fields: AcpFields, trust: AcpTrust, at: Date = new Date()): AcpVerdict {
  if (fields.signMethod !== '01')
    return { ok: false, reason: `signMethod ${fields.signMethod ?? 'missing'}` };
  if (!fields.signature || !fields.signPubKeyCert)
    return { ok: false, reason: 'signature or signPubKeyCert missing' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(fields.signPubKeyCert);
  } catch {
    return { ok: false, reason: 'signPubKeyCert is not a certificate' };
  }
  const chain = checkChain(cert, trust, at);
  if (chain) return { ok: false, reason: chain };
  let good = false;
  try {
    good = verify(
      'sha256',
      Buffer.from(acpDigestHex(fields), 'utf8'),
      cert.publicKey,
      Buffer.from(fields.signature, 'base64'),
    );
  } catch {
    good = false;
  }
  return good ? { ok: true, cert } : { ok: false, reason: 'signature does not verify' };
}

function checkChain(cert: X509Certificate, trust: AcpTrust, at: Date): string | null {
  const t = at.getTime();
  for (const [name, c] of [
    ['signPubKeyCert', cert],
    ['intermediate', trust.middle],
    ['root', trust.root],
  ] as const) {
    if (t < Date.parse(c.validFrom) || t > Date.parse(c.validTo))
      return `${name} not valid at ${at.toISOString()}`;
  }
  if (!cert.checkIssued(trust.middle) || !cert.verify(trust.middle.publicKey)) {
    return 'signPubKeyCert is not issued by the configured intermediate';
  }
  if (!trust.middle.checkIssued(trust.root) || !trust.middle.verify(trust.root.publicKey)) {
    return 'the intermediate is not issued by the configured root';
  }
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '';
  const identity = cn.split('@')[2] ?? '';
  if (!trust.identities.includes(identity)) return `signing certificate identity '${identity}' not accepted`;
  return null;
}

/** PKCS1/PKCS8 PEM → KeyObject (PKCS#12 files are read with node-forge in unionpay-keys.ts). */
export function privateKeyOf(pem: string): KeyObject {
  return createPrivateKey(pem.trim());
}
