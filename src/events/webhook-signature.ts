import { createHmac, timingSafeEqual } from 'node:crypto';

/** The signature header's name. */
export const SIGNATURE_HEADER = 'Oncepay-Signature';
export const EVENT_ID_HEADER = 'Oncepay-Event-Id';

/** Hex HMAC-SHA256(secret, "<t>.<raw body>"). */
export function signPayload(secret: string, t: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
}

/**
 * `t=<unix seconds>,v1=<hex>` — one `v1` per secret: during a rotation's overlap the new secret's
 * signature and the old one's, so a receiver still holding either verifies.
 */
export function signatureHeader(secrets: string[], t: number, rawBody: string): string {
  return [`t=${t}`, ...secrets.map((s) => `v1=${signPayload(s, t, rawBody)}`)].join(',');
}

/**
 * A receiver's check (what docs/events.md shows): some `v1` matches `secret`, and `t` is within
 * `toleranceS` of `nowS` (a replayed old delivery is refused).
 */
export function verifySignature(
  header: string,
  rawBody: string,
  secret: string,
  opts: { nowS?: number; toleranceS?: number } = {},
): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isSafeInteger(t)) return false;
  const nowS = opts.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowS - t) > (opts.toleranceS ?? 300)) return false;
  const expected = Buffer.from(signPayload(secret, t, rawBody), 'hex');
  return parts
    .filter(([k, v]) => k === 'v1' && typeof v === 'string' && /^[0-9a-f]{64}$/.test(v))
    .some(([, v]) => timingSafeEqual(Buffer.from(v, 'hex'), expected));
}
