import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { NotifyLogKeys, NotifyRead } from '../notify-event';
import { unionpayConfig } from './unionpay.config';
import { UnionpayKeysProvider } from './unionpay-keys';
import { acpVerify } from './unionpay-sign';
import { fenOf, isSuccessCode } from './unionpay-wire';

/**
 * The UnionPay notify adapter: the raw form body (UTF-8 form text) → one verified event or a refusal.
 * Verified with the configured root + intermediate (acpVerify); then `merId` must be ours. A consume
 * (`txnType=01`) notifies only its success: `respCode` 00/A6 is `paid` (orderId = our payment number,
 * queryId = the trade number, txnAmt = fen). A refund (`txnType=04`) notifies success or failure, named by
 * its orderId (our refund number).
 */
@Injectable()
export class UnionpayNotifyReader {
  constructor(
    private readonly keys: UnionpayKeysProvider,
    @Inject(unionpayConfig.KEY) private readonly cfg: ConfigType<typeof unionpayConfig>,
  ) {}

  /** @throws when the keys cannot be loaded (the caller answers "re-send"). */
  async read(rawBody: string, at: Date = new Date()): Promise<NotifyRead> {
    const f = Object.fromEntries(new URLSearchParams(rawBody));
    const keys: NotifyLogKeys = {
      notify_id:
        f.orderId && f.txnType ? `${f.txnType}:${f.orderId}:${f.queryId ?? ''}`.slice(0, 128) : undefined,
      trade_status: f.txnType && f.respCode ? `${f.txnType}/${f.respCode}` : undefined,
      out_trade_no: f.orderId,
    };
    const trust = (await this.keys.get()).trust;
    const v = acpVerify(f, trust, at);
    if (!v.ok) return { ok: false, code: 'BAD_SIGNATURE', reason: v.reason, keys };
    if (f.merId !== this.cfg.merId) {
      return { ok: false, code: 'WRONG_MERCHANT', reason: `merId ${f.merId} is not ours`, keys };
    }
    if (!f.orderId || !f.txnType)
      return { ok: false, code: 'MALFORMED', reason: 'orderId or txnType missing', keys };
    const amount = fenOf(f.txnAmt);
    if (f.txnType === '01') {
      if (!isSuccessCode(f.respCode))
        return { ok: true, keys, event: { kind: 'ignored', detail: `respCode ${f.respCode}` } };
      if (!f.queryId) return { ok: false, code: 'MALFORMED', reason: 'paid notify without queryId', keys };
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
