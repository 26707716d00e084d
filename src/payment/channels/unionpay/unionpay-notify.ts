import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { NotifyAdapter, NotifyLogKeys, NotifyRead, NotifyVerdict, RawNotify } from '../notify-event';
import { unionpayConfig } from './unionpay.config';
import { UnionpayKeysProvider } from './unionpay-keys';
import { acpVerify } from './unionpay-sign';
import { fenOf, isSuccessCode } from './unionpay-wire';

/**
 * The UnionPay notify adapter: the raw form body (UTF-8 form text) → one verified event or a refusal.
 * Verified with the configured root + intermediate (acpVerify); then `merId` must be ours. A consume
 * (`txnType=01`) notifies only its success: `respCode` 00/A6 is `paid` (orderId = our payment number,
 * queryId = the trade number, txnAmt = fen). A refund (`txnType=04`) notifies success or failure, named by
 * its orderId (our refund number). The verdict → HTTP 200 `ok` once durable; anything else makes UnionPay
 * re-send (400 refused, 404 unknown orderId, 500 not durable or keys unavailable). The body carries its
 * signature, so buffered mode can append it verified and `decode` it later.
 */
@Injectable()
export class UnionpayNotifyAdapter implements NotifyAdapter<UnionpayAnswer> {
  readonly channel = 'unionpay' as const;

  constructor(
    private readonly keys: UnionpayKeysProvider,
    @Inject(unionpayConfig.KEY) private readonly cfg: ConfigType<typeof unionpayConfig>,
  ) {}

  /** @throws when the keys cannot be loaded (the caller answers "re-send"). */
  async read(raw: RawNotify | string, at: Date = new Date()): Promise<NotifyRead> {
    const body = typeof raw === 'string' ? raw : raw.body;
    const f = Object.fromEntries(new URLSearchParams(body));
    const trust = (await this.keys.get()).trust;
    const v = acpVerify(f, trust, at);
    if (!v.ok)
      return { ok: false, code: 'BAD_SIGNATURE', verified: false, reason: v.reason, keys: keysOf(f) };
    return this.decodeFields(f, at);
  }

  decode(body: string): NotifyRead {
    return this.decodeFields(Object.fromEntries(new URLSearchParams(body)), new Date());
  }

  answer(v: NotifyVerdict): UnionpayAnswer {
    if (v.accept) return { status: 200, body: 'ok' };
    if (v.outcome === 'BAD_SIGNATURE' || v.outcome === 'MALFORMED') return { status: 400, body: 'fail' };
    if (v.outcome === 'UNKNOWN_TRADE') return { status: 404, body: 'fail' };
    return { status: 500, body: 'fail' };
  }

  private decodeFields(f: Record<string, string>, at: Date): NotifyRead {
    const keys = keysOf(f);
    if (f.merId !== this.cfg.merId) {
      return {
        ok: false,
        code: 'WRONG_MERCHANT',
        verified: true,
        reason: `merId ${f.merId} is not ours`,
        keys,
      };
    }
    if (!f.orderId || !f.txnType)
      return { ok: false, code: 'MALFORMED', verified: true, reason: 'orderId or txnType missing', keys };
    const amount = fenOf(f.txnAmt);
    if (f.txnType === '01') {
      if (!isSuccessCode(f.respCode))
        return { ok: true, keys, event: { kind: 'ignored', detail: `respCode ${f.respCode}` } };
      if (!f.queryId)
        return { ok: false, code: 'MALFORMED', verified: true, reason: 'paid notify without queryId', keys };
      return {
        ok: true,
        keys,
        event: { kind: 'paid', paymentNo: f.orderId, tradeNo: f.queryId, amount, paidAt: at },
      };
    }
    if (f.txnType === '04') {
      const kind = isSuccessCode(f.respCode) ? 'refund_succeeded' : 'refund_failed';
      return {
        ok: true,
        keys,
        event: {
          kind,
          refundNo: f.orderId,
          amount,
          reason: `respCode ${f.respCode} ${f.respMsg ?? ''}`.trim(),
        },
      };
    }
    return { ok: true, keys, event: { kind: 'ignored', detail: `txnType ${f.txnType}` } };
  }
}

/** HTTP status and text body of the answer to UnionPay. */
export interface UnionpayAnswer {
  status: number;
  body: 'ok' | 'fail';
}

function keysOf(f: Record<string, string>): NotifyLogKeys {
  return {
    notify_id:
      f.orderId && f.txnType ? `${f.txnType}:${f.orderId}:${f.queryId ?? ''}`.slice(0, 128) : undefined,
    trade_status: f.txnType && f.respCode ? `${f.txnType}/${f.respCode}` : undefined,
    out_trade_no: f.orderId,
  };
}
