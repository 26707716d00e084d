/**
 * The simulators' own China Standard Time (UTC+8, no DST) formatting, written apart from the service's
 * (src/common/china-time.ts) on purpose, as sandbox-money.ts is: both sides of a protocol are written
 * independently, so a symmetric bug in a time format fails a test instead of passing on both sides.
 * Alipay and UnionPay-style 'yyyy-MM-dd HH:mm:ss', WeChat's RFC 3339 with +08:00, China-time bill days.
 */
const EIGHT_HOURS = 8 * 60 * 60 * 1000;

const two = (n: number) => String(n).padStart(2, '0');

/** The wall clock in Beijing at `d`: [yyyy-MM-dd, HH:mm:ss]. */
function beijing(d: Date): [string, string] {
  const b = new Date(d.getTime() + EIGHT_HOURS);
  const date = `${b.getUTCFullYear()}-${two(b.getUTCMonth() + 1)}-${two(b.getUTCDate())}`;
  return [date, `${two(b.getUTCHours())}:${two(b.getUTCMinutes())}:${two(b.getUTCSeconds())}`];
}

/** Date → 'yyyy-MM-dd HH:mm:ss', China time. */
export function toCst(d: Date): string {
  return beijing(d).join(' ');
}

/** Date → '2026-11-30T20:15:00+08:00', as WeChat Pay writes times. */
export function toCstRfc3339(d: Date): string {
  return `${beijing(d).join('T')}+08:00`;
}

/** 'yyyy-MM-dd HH:mm:ss' in China time → Date; null for anything else (or an impossible date). */
export function fromCst(s: unknown): Date | null {
  const m = typeof s === 'string' ? /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s) : null;
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, se) - EIGHT_HOURS;
  // Date.UTC rolls 02-30 over into March: such a day is refused, not moved
  return toCst(new Date(ms)) === s ? new Date(ms) : null;
}

/** The China-time day 'yyyy-MM-dd' as the UTC instants [its midnight, the next midnight); null if malformed. */
export function cstDay(date: string): [Date, Date] | null {
  const start = fromCst(`${date} 00:00:00`);
  return start ? [start, new Date(start.getTime() + 3 * EIGHT_HOURS)] : null;
}
