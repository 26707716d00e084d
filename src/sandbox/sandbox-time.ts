/** Alipay writes times as 'yyyy-MM-dd HH:mm:ss' in China Standard Time (UTC+8, no DST). */
const CST_OFFSET_MS = 8 * 3600 * 1000;

export function toCst(d: Date): string {
  return new Date(d.getTime() + CST_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** 'yyyy-MM-dd HH:mm:ss' (CST) → Date, or null when malformed. */
export function fromCst(s: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(s)) return null;
  const d = new Date(`${s.replace(' ', 'T')}+08:00`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The CST calendar day [start, end) of 'yyyy-MM-dd', as UTC instants. */
export function cstDay(date: string): [Date, Date] | null {
  const start = fromCst(`${date} 00:00:00`);
  if (!start) return null;
  return [start, new Date(start.getTime() + 24 * 3600 * 1000)];
}
