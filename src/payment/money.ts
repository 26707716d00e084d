/**
 * Fen ↔ yuan conversion for the gateway protocol, with string maths only. Money inside oncepay is
 * integer fen; the Alipay protocol speaks yuan with (at most) two decimals. Floats never touch it.
 */

const YUAN_RE = /^(0|[1-9]\d{0,13})(?:\.(\d{1,2}))?$/;

/** 12345 → '123.45'; 5 → '0.05'. Throws on a negative, fractional or unsafe amount. */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) {
    throw new RangeError(`fenToYuan: not a non-negative integer amount of fen: ${fen}`);
  }
  const s = String(fen).padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

/**
 * '123.45' → 12345; '1' → 100; '0.5' → 50. Rejects anything that is not a plain non-negative decimal
 * with at most two fraction digits ('1.234', '1e3', '-1', '', ' 1', '01', '1.') by throwing.
 */
export function yuanToFen(yuan: string): number {
  const m = typeof yuan === 'string' ? YUAN_RE.exec(yuan) : null;
  if (!m) throw new RangeError(`yuanToFen: not a yuan amount: ${JSON.stringify(yuan)}`);
  const frac = (m[2] ?? '').padEnd(2, '0');
  const fen = Number(m[1]) * 100 + Number(frac);
  if (!Number.isSafeInteger(fen)) throw new RangeError(`yuanToFen: amount too large: ${yuan}`);
  return fen;
}

/** Like yuanToFen but answers null instead of throwing (for untrusted input such as a notify). */
export function tryYuanToFen(yuan: unknown): number | null {
  try {
    return yuanToFen(yuan as string);
  } catch {
    return null;
  }
}
