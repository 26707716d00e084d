/**
 * What a channel's notify adapter makes of a raw notify: one verified, normalized event, or a refusal.
 * The callback module's NotifyPipeline holds every rule about events (known payment, amount, merchant,
 * the one success path, the refund apply function, duplicates, the log); adapters only read their wire
 * format and render the pipeline's verdict as their gateway's answer.
 */
export type VerifiedEvent =
  | {
      kind: 'paid';
      paymentNo: string;
      /** The gateway's trade number (Alipay trade_no, WeChat transaction_id, UnionPay queryId). */
      tradeNo: string;
      /** fen, as the gateway reported it (null: not an amount — an anomaly, never paid) */
      amount: number | null;
      paidAt: Date;
    }
  | {
      /** The gateway closed the trade unpaid (Alipay TRADE_CLOSED without a refund). */
      kind: 'closed';
      paymentNo: string;
      /** fen (null: not an amount — an anomaly) */
      amount: number | null;
      /** the notify's id, for the anomaly when the payment is paid already */
      notifyId: string;
    }
  | {
      kind: 'refund_succeeded' | 'refund_failed';
      refundNo: string;
      /** The payment the notify names, when the wire carries it (the refund must be one of its). */
      paymentNo?: string;
      /** fen, this refund's own amount; undefined when the wire does not carry it (Alipay). */
      amount?: number | null;
      /**
       * fen, the trade's cumulative refunded amount when that is all the wire says (Alipay `refund_fee`):
       * null or above the payment's amount is an unknown refund.
       */
      refundedTotal?: number | null;
      reason?: string;
    }
  /** A verified notify that carries no change for us (a failed consume attempt, WAIT_BUYER_PAY). */
  | { kind: 'ignored'; detail: string; paymentNo?: string };

/** Fields of the log row (t_callback_log) read from the notify, trusted or not. */
export interface NotifyLogKeys {
  notify_id?: string;
  trade_status?: string;
  out_trade_no?: string;
}

/** Why a notify is refused (the pipeline's rule per code; the channel's own code is `wire`). */
export type RefusalCode = 'BAD_SIGNATURE' | 'MALFORMED' | 'UNDECRYPTABLE' | 'WRONG_MERCHANT';

export type NotifyRead =
  | { ok: true; event: VerifiedEvent; keys: NotifyLogKeys }
  | {
      ok: false;
      /**
       * BAD_SIGNATURE: not verified. MALFORMED / UNDECRYPTABLE: `verified` says whether the signature held.
       * WRONG_MERCHANT: verified, another merchant's (or app's) — an anomaly, accepted.
       */
      code: RefusalCode;
      verified: boolean;
      /** The channel's own reason code for its answer (WeChat: STALE_TIMESTAMP, UNKNOWN_SERIAL …). */
      wire?: string;
      /** WRONG_MERCHANT: the anomaly kind (default APP_MISMATCH; Alipay's seller_id: SELLER_MISMATCH). */
      anomaly?: 'APP_MISMATCH' | 'SELLER_MISMATCH';
      reason: string;
      keys: NotifyLogKeys;
    };

/** A notify as received: the body as text (forms already decoded to UTF-8) and the request headers. */
export interface RawNotify {
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * What the pipeline decided, for the adapter to answer. `accept` only once the outcome is durable.
 * `refusal`: the refusal's wire code (or KEYS_UNAVAILABLE); `problem`: the body was no notify at all.
 */
export interface NotifyVerdict {
  outcome: string;
  accept: boolean;
  refusal?: string;
  problem?: { message: string; status?: number };
}

/**
 * A channel's notify adapter (src/payment/channels/<name>/<name>-notify*.ts): reads its wire format into
 * a NotifyRead and renders a verdict as its gateway's answer. No rule about payments lives here.
 */
export interface NotifyAdapter<Answer> {
  readonly channel: 'alipay' | 'wechat' | 'unionpay';
  /** Verify, decrypt, decode. @throws when the channel's keys cannot be loaded (answered "re-send"). */
  read(raw: RawNotify): Promise<NotifyRead>;
  /**
   * Buffered mode (CALLBACK_MODE=buffered): a notify whose body carries its own signature can be
   * appended once verified and decoded again later by the worker without the request. Absent: the
   * channel's notifies are always applied in the request (WeChat: the signature is in headers).
   */
  decode?(body: string): NotifyRead;
  answer(v: NotifyVerdict): Answer;
}

/** The multi-provider token of every channel's notify adapter (channels/index.ts). */
export const NOTIFY_ADAPTERS = Symbol('NOTIFY_ADAPTERS');
