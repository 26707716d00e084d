import { createPrivateKey, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import type { ChannelKeyCheck, KeyState } from '../../../config/key-check';

/**
 * WeChat Pay's keys, read and checked the one way the client uses them (WechatKeysProvider reads them with
 * these functions too): at start (production refuses to start on the first problem, naming the variable)
 * and for /health (each key's readiness). Pure functions of the configured strings.
 */

/** The platform keys: the first, and a second one during a switch (certificate ↔ "WeChat Pay public key"). */
export const WECHAT_PLATFORM_KEY_VARS = [
  { key: 'WECHAT_PLATFORM_PUBLIC_KEY', id: 'WECHAT_PLATFORM_PUBLIC_KEY_ID' },
  { key: 'WECHAT_PLATFORM_PUBLIC_KEY_2', id: 'WECHAT_PLATFORM_PUBLIC_KEY_ID_2' },
] as const;

/** PKCS1 / PKCS8 PEM, or bare base64 PKCS8 DER (as the merchant tool exports apiclient_key); RSA only. */
export function readWechatPrivateKey(text: string): KeyObject {
  const k = text.trim();
  const key = k.includes('BEGIN')
    ? createPrivateKey(k)
    : createPrivateKey({ key: Buffer.from(k.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`is a ${key.asymmetricKeyType} key, not RSA`);
  return key;
}

/** A platform key as configured: its public key, and the certificate's serial and expiry when it is one. */
export interface WechatPlatformKey {
  key: KeyObject;
  /** upper-case hex, no leading zeros; only when a certificate was given */
  certSerial?: string;
  notAfter?: Date;
}

/**
 * A platform certificate PEM (`wechatpay_….pem`), an SPKI PEM (the "WeChat Pay public key" file), a PKCS1
 * public key PEM, or bare base64 SPKI. RSA only. Throws when unreadable.
 */
export function readWechatPlatformKey(text: string): WechatPlatformKey {
  const k = text.trim();
  let out: WechatPlatformKey;
  if (k.includes('BEGIN CERTIFICATE')) {
    const cert = new X509Certificate(k);
    out = {
      key: cert.publicKey,
      certSerial: normalizeSerial(cert.serialNumber),
      notAfter: new Date(cert.validTo),
    };
  } else if (k.includes('BEGIN')) {
    out = { key: createPublicKey(k) };
  } else {
    out = {
      key: createPublicKey({
        key: Buffer.from(k.replace(/\s+/g, ''), 'base64'),
        format: 'der',
        type: 'spki',
      }),
    };
  }
  if (out.key.asymmetricKeyType !== 'rsa') throw new Error(`is a ${out.key.asymmetricKeyType} key, not RSA`);
  return out;
}

/** Certificate serials compare as hex numbers: case and leading zeros do not matter. */
export function normalizeSerial(serial: string): string {
  return serial
    .trim()
    .toUpperCase()
    .replace(/^0+(?=.)/, '');
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/**
 * Checks the configured WeChat keys. Unset ones are `missing` (the sandbox may fill them in outside
 * production; production requires them). Problems, in order: the merchant private key does not read as
 * RSA; the APIv3 key is not 32 bytes; a platform key does not read, is half configured (key without id or
 * id without key), is a certificate whose serial is not the configured id, or has expired; the two ids
 * are the same.
 */
export function checkWechatKeys(env: Record<string, unknown>, now: Date = new Date()): ChannelKeyCheck {
  const problems: ChannelKeyCheck['problems'] = [];
  const keys: Record<string, KeyState> = {};

  const merchant = str(env.WECHAT_MERCHANT_PRIVATE_KEY);
  keys.merchantPrivateKey = 'missing';
  if (merchant) {
    try {
      readWechatPrivateKey(merchant);
      keys.merchantPrivateKey = 'ready';
    } catch (err) {
      keys.merchantPrivateKey = 'invalid';
      problems.push({
        variable: 'WECHAT_MERCHANT_PRIVATE_KEY',
        message: `is not a readable RSA private key (PEM or base64 PKCS8)${why(err)}`,
      });
    }
  }

  const apiV3 = str(env.WECHAT_API_V3_KEY);
  keys.apiV3Key = !apiV3 ? 'missing' : Buffer.byteLength(apiV3, 'utf8') === 32 ? 'ready' : 'invalid';
  if (keys.apiV3Key === 'invalid') {
    problems.push({ variable: 'WECHAT_API_V3_KEY', message: 'must be exactly 32 bytes' });
  }

  const ids: string[] = [];
  WECHAT_PLATFORM_KEY_VARS.forEach(({ key: keyVar, id: idVar }, i) => {
    const label = i === 0 ? 'platformKey' : 'platformKey2';
    const text = str(env[keyVar]);
    const id = str(env[idVar]);
    if (!text && !id) {
      keys[label] = 'missing';
      return;
    }
    if (!text || !id) {
      keys[label] = 'invalid';
      problems.push(
        text
          ? { variable: idVar, message: `is required when ${keyVar} is set` }
          : { variable: keyVar, message: `is required when ${idVar} is set` },
      );
      return;
    }
    let read: WechatPlatformKey;
    try {
      read = readWechatPlatformKey(text);
    } catch (err) {
      keys[label] = 'invalid';
      problems.push({
        variable: keyVar,
        message: `is not a readable RSA public key or certificate (PEM or base64 SPKI)${why(err)}`,
      });
      return;
    }
    if (read.certSerial !== undefined && read.certSerial !== normalizeSerial(id)) {
      keys[label] = 'invalid';
      problems.push({
        variable: idVar,
        message: `${id.slice(0, 64)} is not the serial of the certificate in ${keyVar} (${read.certSerial})`,
      });
      return;
    }
    if (read.notAfter && read.notAfter.getTime() <= now.getTime()) {
      keys[label] = 'invalid';
      problems.push({
        variable: keyVar,
        message: `is a certificate that expired on ${read.notAfter.toISOString()}`,
      });
      return;
    }
    if (ids.includes(normalizeSerial(id))) {
      keys[label] = 'invalid';
      problems.push({ variable: idVar, message: `must differ from WECHAT_PLATFORM_PUBLIC_KEY_ID` });
      return;
    }
    ids.push(normalizeSerial(id));
    keys[label] = 'ready';
  });
  if (keys.platformKey2 === 'missing') delete keys.platformKey2; // optional: shown only when configured
  return { keys, problems };
}

/** The reason a key did not read, kept short and on one line (the start error is one line). */
function why(err: unknown): string {
  const m = String((err as Error)?.message ?? '').split('\n')[0];
  return /^is a \w+ key, not RSA$/.test(m) ? ` (${m.slice(3)})` : '';
}
