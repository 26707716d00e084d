import { Injectable } from '@nestjs/common';
import type { NotifyAdapter, NotifyLogKeys, NotifyRead, NotifyVerdict, RawNotify } from '../notify-event';
import { WechatKeysProvider } from './wechat-keys.provider';
import { NotifyErrorCode, WechatNotifyReader } from './wechat-notify';

/**
 * What WeChat is answered: 204 with no body (accepted: stop re-sending), or a 4xx/5xx with
 * `{"code":"FAIL","message":…}` (WeChat re-sends on its schedule).
 */
export type WechatAnswer = { status: 204 } | { status: number; body: { code: 'FAIL'; message: string } };

/** The reader's refusals: signature-level ones are 401 (never verified), the rest 400. */
const REFUSAL: Record<
  NotifyErrorCode,
  { status: number; code: 'BAD_SIGNATURE' | 'MALFORMED' | 'UNDECRYPTABLE' }
> = {
  MISSING_HEADERS: { status: 401, code: 'BAD_SIGNATURE' },
  STALE_TIMESTAMP: { status: 401, code: 'BAD_SIGNATURE' },
  UNKNOWN_SERIAL: { status: 401, code: 'BAD_SIGNATURE' },
  BAD_SIGNATURE: { status: 401, code: 'BAD_SIGNATURE' },
  MALFORMED: { status: 400, code: 'MALFORMED' },
  UNKNOWN_EVENT: { status: 400, code: 'MALFORMED' },
  UNDECRYPTABLE: { status: 400, code: 'UNDECRYPTABLE' },
  WRONG_MERCHANT: { status: 400, code: 'MALFORMED' }, // not used: WRONG_MERCHANT is its own refusal
};

const fail = (status: number, message: string): WechatAnswer => ({ status, body: { code: 'FAIL', message } });

/**
 * The WeChat Pay v3 notify adapter: signature headers over the raw body (±300 s, known serial,
 * SHA256withRSA), then the AES-256-GCM resource, then `mchid`/`appid` (WechatNotifyReader) → one event:
 * TRANSACTION.SUCCESS with trade_state SUCCESS is `paid` (another trade_state: `ignored`), REFUND.SUCCESS
 * `refund_succeeded`, REFUND.CLOSED / REFUND.ABNORMAL `refund_failed` (no money moved under that number).
 * The verdict → 204 (accepted) or `{"code":"FAIL"}` with 401 (not verified), 400 (undecryptable,
 * malformed), 404 (unknown out_trade_no), 503 (keys unavailable), 500 (not durable). No `decode`:
 * the signature is in the headers, so a WeChat notify is always applied in the request.
 */
@Injectable()
export class WechatNotifyAdapter implements NotifyAdapter<WechatAnswer> {
  readonly channel = 'wechat' as const;
  private readonly reader: WechatNotifyReader;

  constructor(keys: WechatKeysProvider) {
    this.reader = new WechatNotifyReader(() => keys.get());
  }

  async read(raw: RawNotify, nowSec?: number): Promise<NotifyRead> {
    const keys = envelopeKeys(raw.body);
    const r = await this.reader.read(raw.headers, raw.body, nowSec); // throws: keys unavailable
    if (!r.ok) {
      if (r.code === 'WRONG_MERCHANT') {
        const k = { ...keys, out_trade_no: r.outTradeNo };
        return { ok: false, code: 'WRONG_MERCHANT', verified: true, reason: r.reason, keys: k };
      }
      const { status, code } = REFUSAL[r.code];
      const reason = `${r.code}: ${r.reason}`;
      return { ok: false, code, verified: status !== 401, wire: r.code, reason, keys };
    }
    if (r.eventType === 'TRANSACTION.SUCCESS') {
      const t = r.transaction;
      const k = { ...keys, out_trade_no: t.outTradeNo };
      if (t.tradeState !== 'SUCCESS') {
        return {
          ok: true,
          keys: k,
          event: { kind: 'ignored', detail: `trade_state ${t.tradeState}`, paymentNo: t.outTradeNo },
        };
      }
      const event = {
        kind: 'paid' as const,
        paymentNo: t.outTradeNo,
        tradeNo: t.transactionId,
        amount: t.total,
        paidAt: t.successTime ?? new Date(),
      };
      return { ok: true, keys: k, event };
    }
    const n = r.refund;
    return {
      ok: true,
      keys: { ...keys, out_trade_no: n.outTradeNo },
      event: {
        kind: r.eventType === 'REFUND.SUCCESS' ? 'refund_succeeded' : 'refund_failed',
        refundNo: n.outRefundNo,
        paymentNo: n.outTradeNo,
        amount: n.refund,
        reason: r.eventType,
      },
    };
  }

  answer(v: NotifyVerdict): WechatAnswer {
    if (v.accept) return { status: 204 };
    if (v.problem) return fail(v.problem.status ?? 400, v.problem.message);
    if (v.refusal === 'KEYS_UNAVAILABLE') return fail(503, 'keys unavailable');
    if (v.refusal && v.refusal in REFUSAL)
      return fail(REFUSAL[v.refusal as NotifyErrorCode].status, v.refusal);
    if (v.outcome === 'UNKNOWN_TRADE') return fail(404, 'unknown out_trade_no');
    return fail(500, 'not applied; re-send');
  }
}

/** notify_id and trade_status (the event type) of the log row, read from the envelope without trusting it. */
function envelopeKeys(rawBody: string): NotifyLogKeys {
  try {
    const b = JSON.parse(rawBody) as Record<string, unknown>;
    const p: NotifyLogKeys = {};
    if (typeof b.id === 'string') p.notify_id = b.id;
    if (typeof b.event_type === 'string') p.trade_status = b.event_type;
    return p;
  } catch {
    return {};
  }
}
