import { createHash } from 'node:crypto';
import { cstDay } from '../sandbox-time';

/**
 * The window of a bill day: the China-time calendar day `date` (yyyy-MM-dd), ended early at `cutoff`
 * (ms) when the bill was cut before the day was over; null when `date` is no date. Every bill the
 * simulator serves (Alipay's trade bill, WeChat's trade and fund-flow bills, Alipay's fund bill,
 * UnionPay's settlement file) lists what moved money in such a window, half-open `[from, until)`.
 */
export function billWindow(date: unknown, cutoff = Number.POSITIVE_INFINITY): [Date, Date] | null {
  const day = typeof date === 'string' ? cstDay(date) : null;
  return day && [day[0], new Date(Math.min(day[1].getTime(), cutoff))];
}

/**
 * A bill fetched behind a download URL (WeChat's trade and fund-flow bills): the answer states the
 * file's SHA1 and a URL whose token carries the day and the cut-off instant, so the file fetched later
 * is exactly the one whose hash was answered, however much money moved in between.
 */
export class SimBillDownload {
  constructor(
    /** the download URL without its token */
    private readonly url: string,
    /** the file of a day as it was at `cutoff` */
    private readonly file: (date: string, cutoff: number) => Promise<string>,
  ) {}

  async answer(date: string): Promise<{ hash_type: string; hash_value: string; download_url: string }> {
    const cutoff = Date.now();
    const body = await this.file(date, cutoff);
    return {
      hash_type: 'SHA1',
      hash_value: createHash('sha1').update(body, 'utf8').digest('hex'),
      download_url: `${this.url}?token=${date}.${cutoff}`,
    };
  }

  /** The file behind a token (null when the token is not one of ours). */
  fetch(token: unknown): Promise<string | null> {
    const m = typeof token === 'string' ? /^(\d{4}-\d{2}-\d{2})\.(\d{13})$/.exec(token) : null;
    return m && billWindow(m[1]) ? this.file(m[1], Number(m[2])) : Promise.resolve(null);
  }
}
