/**
 * Parsing of an Alipay async notify (GATEWAY.md): a form body, every value a string.
 * Parsed from the exact raw bytes (`req.rawBody`), so what is verified is what was received.
 */

export const PAID_STATUSES = ['TRADE_SUCCESS', 'TRADE_FINISHED'] as const;
export const CLOSED_STATUS = 'TRADE_CLOSED';

/** The parsed form; values are the decoded strings the signature covers. */
export type NotifyParams = Record<string, string>;

export interface ParsedNotify {
  params: NotifyParams;
  /** Set when the body is not a well-formed notify (then it is logged and answered `fail`). */
  error?: string;
}

/**
 * Parses `application/x-www-form-urlencoded` text. A key that appears twice makes the notify
 * malformed (which value would the signature cover?), as does a missing `sign`, `notify_id`,
 * `trade_status` or `out_trade_no`.
 */
export function parseNotify(raw: string): ParsedNotify {
  const params: NotifyParams = {};
  let error: string | undefined;
  for (const [k, v] of new URLSearchParams(raw)) {
    if (k in params) error ??= `duplicate field ${k}`;
    params[k] = v;
  }
  for (const k of ['sign', 'notify_id', 'trade_status', 'out_trade_no']) {
    if (!params[k]) error ??= `missing field ${k}`;
  }
  return { params, error };
}

/** Alipay paid statuses: both TRADE_SUCCESS and TRADE_FINISHED mean the buyer paid. */
export function isPaidStatus(status: string | undefined): boolean {
  return (PAID_STATUSES as readonly string[]).includes(status ?? '');
}

/** Truncates untrusted text for a VARCHAR column. */
export function clip(s: string | undefined | null, max: number): string | null {
  if (s === undefined || s === null) return null;
  return s.length > max ? s.slice(0, max) : s;
}
