import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { fromCst } from '../../../common/china-time';
import { tryYuanToFen } from '../../money';
import type { NotifyAdapter, NotifyLogKeys, NotifyRead, NotifyVerdict, RawNotify } from '../notify-event';
import { alipayConfig } from './alipay.config';
import { AlipayGateway } from './alipay.gateway';

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
 * Parses `application/x-www-form-urlencoded` text. A key that appears twice makes the form malformed
 * (which value would the signature cover?), as does a missing or empty `required` field.
 */
export function parseForm(raw: string, required: readonly string[]): ParsedNotify {
  const params: NotifyParams = {};
  let error: string | undefined;
  for (const [k, v] of new URLSearchParams(raw)) {
    if (k in params) error ??= `duplicate field ${k}`;
    params[k] = v;
  }
  for (const k of required) {
    if (!params[k]) error ??= `missing field ${k}`;
  }
  return { params, error };
}

/** A trade notify's form: `sign`, `notify_id`, `trade_status` and `out_trade_no` are required. */
export function parseNotify(raw: string): ParsedNotify {
  return parseForm(raw, ['sign', 'notify_id', 'trade_status', 'out_trade_no']);
}

/** Alipay paid statuses: both TRADE_SUCCESS and TRADE_FINISHED mean the buyer paid. */
export function isPaidStatus(status: string | undefined): boolean {
  return (PAID_STATUSES as readonly string[]).includes(status ?? '');
}

/** A notify about a refund: `trade_status_sync` carrying `out_biz_no` (our refund number) and `refund_fee`. */
export function isRefundNotify(p: NotifyParams): boolean {
  return !!p.out_biz_no && p.refund_fee !== undefined;
}

/** gmt_payment is China time 'YYYY-MM-DD HH:mm:ss' (GATEWAY.md); the receipt time if absent or odd. */
function paidAtOf(p: NotifyParams): Date {
  return fromCst(p.gmt_payment ?? '') ?? new Date();
}

/**
 * The Alipay notify adapter: the form (RSA2 `sign`, checked by the Alipay client) → one event or a
 * refusal; the verdict → exactly `success` (accepted) or `fail` (Alipay re-sends).
 *
 * - `app_id` must be ours, `seller_id` too when ALIPAY_SELLER_ID is set (else WRONG_MERCHANT);
 * - a refund's notify (`out_biz_no` + `refund_fee`; TRADE_SUCCESS after a partial refund, TRADE_CLOSED
 *   after a full one) is `refund_succeeded` of refund `out_biz_no` — never the payment success path;
 *   `refund_fee` is the trade's cumulative refunded amount, so it cannot confirm this refund's own
 *   amount (the signature and the refund number do);
 * - TRADE_SUCCESS / TRADE_FINISHED is `paid` (`total_amount` yuan → fen by string maths);
 *   TRADE_CLOSED is `closed`; anything else (WAIT_BUYER_PAY) is `ignored`.
 *
 * The body carries its signature, so buffered mode can append it verified and `decode` it later.
 */
@Injectable()
export class AlipayNotifyAdapter implements NotifyAdapter<'success' | 'fail'> {
  readonly channel = 'alipay' as const;

  constructor(
    private readonly client: AlipayGateway,
    @Inject(alipayConfig.KEY) private readonly cfg: ConfigType<typeof alipayConfig>,
  ) {}

  async read(raw: RawNotify): Promise<NotifyRead> {
    const { params, error } = parseNotify(raw.body);
    const keys = keysOf(params);
    if (error) return { ok: false, code: 'MALFORMED', verified: false, reason: error, keys };
    // the client answers false (never throws) when its keys do not load: BAD_SIGNATURE, re-sent
    if (!(await this.client.verifyNotify(params).catch(() => false))) {
      return { ok: false, code: 'BAD_SIGNATURE', verified: false, reason: 'sign does not verify', keys };
    }
    return this.decodeParams(params, keys);
  }

  decode(body: string): NotifyRead {
    const { params, error } = parseNotify(body);
    const keys = keysOf(params);
    if (error) return { ok: false, code: 'MALFORMED', verified: true, reason: error, keys };
    return this.decodeParams(params, keys);
  }

  answer(v: NotifyVerdict): 'success' | 'fail' {
    return v.accept ? 'success' : 'fail';
  }

  private decodeParams(p: NotifyParams, keys: NotifyLogKeys): NotifyRead {
    const merchant = (anomaly: 'APP_MISMATCH' | 'SELLER_MISMATCH', reason: string): NotifyRead => ({
      ok: false,
      code: 'WRONG_MERCHANT',
      verified: true,
      anomaly,
      reason,
      keys,
    });
    if (p.app_id !== this.cfg.appId) return merchant('APP_MISMATCH', `app_id ${p.app_id} is not ours`);
    if (this.cfg.sellerId && p.seller_id !== this.cfg.sellerId) {
      return merchant('SELLER_MISMATCH', `seller_id ${p.seller_id} is not ours`);
    }
    const paymentNo = p.out_trade_no;
    if (isRefundNotify(p)) {
      const event = {
        kind: 'refund_succeeded' as const,
        refundNo: p.out_biz_no,
        paymentNo,
        refundedTotal: tryYuanToFen(p.refund_fee),
      };
      return { ok: true, keys, event };
    }
    const amount = tryYuanToFen(p.total_amount);
    if (isPaidStatus(p.trade_status)) {
      if (!p.trade_no)
        return { ok: false, code: 'MALFORMED', verified: true, reason: 'paid notify without trade_no', keys };
      const event = { kind: 'paid' as const, paymentNo, tradeNo: p.trade_no, amount, paidAt: paidAtOf(p) };
      return { ok: true, keys, event };
    }
    if (p.trade_status === CLOSED_STATUS) {
      return { ok: true, keys, event: { kind: 'closed', paymentNo, amount, notifyId: p.notify_id } };
    }
    return {
      ok: true,
      keys,
      event: { kind: 'ignored', detail: `trade_status ${p.trade_status}`, paymentNo },
    };
  }
}

function keysOf(p: NotifyParams): NotifyLogKeys {
  return { notify_id: p.notify_id, trade_status: p.trade_status, out_trade_no: p.out_trade_no };
}
