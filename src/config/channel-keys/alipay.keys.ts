import { keyReadable } from '../gateway-keys';
import type { ChannelKeyCheck } from './key-check';

/**
 * Alipay's keys (ALIPAY_PRIVATE_KEY, ALIPAY_PUBLIC_KEY), read as alipay-sdk is given them
 * (config/gateway-keys.ts): the merchant's RSA private key and Alipay's public key.
 */
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
