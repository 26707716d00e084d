import {
  createPrivateKey,
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPairSync,
} from 'node:crypto';

/** RSA helpers of the sandbox gateway (SHA256withRSA, base64), kept apart from the service's own code. */

export interface PemPair {
  privatePem: string | null;
  publicPem: string;
}

export function generatePair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

/** Accepts PKCS1 or PKCS8 PEM, or bare base64 DER (as Alipay's key tool prints it); returns PKCS8 PEM. */
export function toPkcs8Pem(key: string): string {
  const k = key.trim();
  if (k.includes('BEGIN')) {
    return createPrivateKey(k).export({ type: 'pkcs8', format: 'pem' }) as string;
  }
  const der = Buffer.from(k.replace(/\s+/g, ''), 'base64');
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type }).export({
        type: 'pkcs8',
        format: 'pem',
      }) as string;
    } catch {
      // try the next encoding
    }
  }
  throw new Error('unreadable RSA private key');
}

export function publicPemOf(privatePem: string): string {
  return createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }) as string;
}

export function rsaSign(text: string, privatePem: string): string {
  return createSign('RSA-SHA256').update(text, 'utf8').sign(privatePem, 'base64');
}

export function rsaVerify(text: string, signature: string, publicPem: string): boolean {
  try {
    return createVerify('RSA-SHA256').update(text, 'utf8').verify(publicPem, signature, 'base64');
  } catch {
    return false;
  }
}

/**
 * The Alipay signing string: drop `sign` (and `sign_type` when asked — notifies drop it, OpenAPI
 * requests keep it), drop empty values, sort keys by ASCII, join raw `k=v` with `&`.
 */
export function signContent(params: Record<string, string>, dropSignType: boolean): string {
  return Object.keys(params)
    .filter((k) => k !== 'sign' && !(dropSignType && k === 'sign_type'))
    .filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}
