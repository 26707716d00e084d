/**
 * China Standard Time (UTC+8, no DST), the one place oncepay converts it: Alipay writes times as
 * 'yyyy-MM-dd HH:mm:ss' in China time (GATEWAY.md), WeChat Pay as RFC 3339 with +08:00 (and its bill
 * lines like Alipay), and both bills are China-time calendar days.
 */
const CST_OFFSET_MS = 8 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** Date → 'yyyy-MM-dd HH:mm:ss' in China time. */
export function toCst(d: Date): string {
  return new Date(d.getTime() + CST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** Date → RFC 3339 in China time, as WeChat Pay writes times: '2026-11-30T20:15:00+08:00'. */
export function toCstRfc3339(d: Date): string {
  return `${new Date(d.getTime() + CST_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

/** 'yyyy-MM-dd HH:mm:ss' (China time) → Date, or null when malformed. */
export function fromCst(s: unknown): Date | null {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(s)) return null;
  const d = new Date(`${s.replace(' ', 'T')}+08:00`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The China-time calendar day [start, end) of 'yyyy-MM-dd', as UTC instants; null when malformed. */
export function cstDay(date: string): [Date, Date] | null {
  const start = fromCst(`${date} 00:00:00`);
  if (!start) return null;
  return [start, new Date(start.getTime() + DAY_MS)];
}

/** The China-time date 'yyyy-MM-dd' of the day before `at` (the bill a daily job fetches). */
export function previousCstDate(at: Date): string {
  return new Date(at.getTime() + CST_OFFSET_MS - DAY_MS).toISOString().slice(0, 10);
}
