/**
 * The simulators' own money formatting, written apart from the service's (src/payment/money.ts) on
 * purpose: both sides of a protocol are written independently, so a symmetric bug fails a test.
 * Gateways speak yuan with two decimals ("12.34"); the simulators store integer fen.
 */

/** 1234 → "12.34"; 5 → "0.05". Only non-negative safe integers. */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new RangeError(`sandbox: bad fen amount ${fen}`);
  const yuan = Math.floor(fen / 100);
  const cents = fen % 100;
  return `${yuan}.${cents < 10 ? '0' : ''}${cents}`;
}

/** "12.34" → 1234, "12" → 1200, "0.5" → 50; anything else (signs, exponents, 3 decimals, leading zeros) → null. */
export function tryYuanToFen(yuan: unknown): number | null {
  if (typeof yuan !== 'string' || yuan.length === 0 || yuan.length > 20) return null;
  const [whole, frac = '', ...rest] = yuan.split('.');
  if (rest.length || (yuan.includes('.') && frac.length === 0) || frac.length > 2) return null;
  if (!/^(0|[1-9][0-9]*)$/.test(whole) || !/^[0-9]*$/.test(frac)) return null;
  const fen =
    Number(whole) * 100 + (frac.length === 0 ? 0 : frac.length === 1 ? Number(frac) * 10 : Number(frac));
  return Number.isSafeInteger(fen) ? fen : null;
}
