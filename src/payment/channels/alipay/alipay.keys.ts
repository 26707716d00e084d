import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { ChannelKeyCheck } from '../../../config/key-check';

/**
 * Alipay's keys (ALIPAY_PRIVATE_KEY, ALIPAY_PUBLIC_KEY), read the one way alipay-sdk is given them: at
 * start (alipay.env.ts), for /health, and by PaymentKeysProvider.
 */

/** PKCS1 / PKCS8 PEM or bare base64 DER → PKCS8 PEM (alipay-sdk with keyType PKCS8). Throws when unreadable. */
export function normalizePrivateKey(key: string): string {
  const k = key.trim();
  if (k.includes('BEGIN'))
    return (createPrivateKey(k).export({ type: 'pkcs8', format: 'pem' }) as string).trim();
  const der = Buffer.from(k.replace(/\s+/g, ''), 'base64');
  for (const type of ['pkcs8', 'pkcs1'] as const) {
    try {
      return (
        createPrivateKey({ key: der, format: 'der', type }).export({ type: 'pkcs8', format: 'pem' }) as string
      ).trim();
    } catch {
      // next encoding
    }
  }
  throw new Error('ALIPAY_PRIVATE_KEY is not a readable RSA private key');
}

/** SPKI or PKCS1 PEM, or bare base64 SPKI → SPKI PEM (alipay-sdk accepts only SPKI). Throws when unreadable. */
export function normalizePublicKey(key: string): string {
  const k = key.trim();
  const obj = k.includes('BEGIN')
    ? createPublicKey(k)
    : createPublicKey({ key: Buffer.from(k.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
  return (obj.export({ type: 'spki', format: 'pem' }) as string).trim();
}

/** Whether a configured key parses (used at start and by /health). */
export function keyReadable(kind: 'private' | 'public', key: string | undefined): boolean {
  if (!key) return false;
  try {
    if (kind === 'private') normalizePrivateKey(key);
    else normalizePublicKey(key);
    return true;
  } catch {
    return false;
  }
}

/** Checks the merchant's RSA private key and Alipay's public key as configured (unset: `missing`). */
export function checkAlipayKeys(env: Record<string, unknown>): ChannelKeyCheck {
  const check: ChannelKeyCheck = { keys: {}, problems: [] };
  const one = (
    name: 'privateKey' | 'publicKey',
    variable: string,
    kind: 'private' | 'public',
    what: string,
  ) => {
    const text = env[variable];
    if (typeof text !== 'string' || text === '') {
      check.keys[name] = 'missing';
    } else if (keyReadable(kind, text)) {
      check.keys[name] = 'ready';
    } else {
      check.keys[name] = 'invalid';
      check.problems.push({ variable, message: `is not a readable RSA ${what}` });
    }
  };
  one('privateKey', 'ALIPAY_PRIVATE_KEY', 'private', 'private key (PEM or base64 DER)');
  one('publicKey', 'ALIPAY_PUBLIC_KEY', 'public', 'public key (PEM or base64 SPKI)');
  return check;
}
