import { randomInt } from 'node:crypto';

/**
 * A new order number: `yyyyMMddHHmmssSSS` (UTC) + 12 random digits = 29 digits.
 *
 * Unique across instances without coordination: two numbers collide only if they are made in the
 * same millisecond AND draw the same 12 digits (1 in 10^12); UNIQUE(order_no) is the backstop and the
 * service retries with a fresh number. Digits only, sortable by time, 29 ≤ 32 characters, so the
 * payment module can append its own suffix and stay within Alipay's 64-character out_trade_no
 * (letters, digits, underscore).
 */
export function newOrderNo(now: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts =
    `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}${p(now.getUTCMilliseconds(), 3)}`;
  // two draws of 6 digits: randomInt's range must stay below 2^48
  return ts + p(randomInt(0, 1_000_000), 6) + p(randomInt(0, 1_000_000), 6);
}

/** What an order number looks like; anything else is answered 404 without touching the database. */
export const ORDER_NO_PATTERN = /^[A-Za-z0-9_]{1,32}$/;

/**
 * The Redis key of the order lock (`lock:order:{orderNo}`) that keeps pre-pay and the close of an
 * order's payments in line; the hash tag keeps it on one Redis Cluster slot.
 */
export function orderLockKey(orderNo: string): string {
  return `lock:order:{${orderNo}}`;
}
