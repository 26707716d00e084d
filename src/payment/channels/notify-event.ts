/**
 * What a channel's notify adapter makes of a raw notify: one verified, normalized event, or a refusal.
 * The callback module's NotifyPipeline holds every rule about events (known payment, amount, the one
 * success path, the refund apply function, the log); adapters only read their wire format.
 */
export type VerifiedEvent =
  | {
      kind: 'paid';
      paymentNo: string;
      /** The gateway's trade number (UnionPay queryId). */
      tradeNo: string;
      /** fen, as the gateway reported it (null: not an amount — an anomaly, never paid) */
      amount: number | null;
      paidAt: Date;
    }
  | { kind: 'refund_succeeded' | 'refund_failed'; refundNo: string; amount: number | null; reason?: string }
  /** A verified notify that carries no change for us (e.g. a failed consume attempt). */
  | { kind: 'ignored'; detail: string };

/** Fields of the log row (t_callback_log) read from the notify, trusted or not. */
export interface NotifyLogKeys {
  notify_id?: string;
  trade_status?: string;
  out_trade_no?: string;
}

export type NotifyRead =
  | { ok: true; event: VerifiedEvent; keys: NotifyLogKeys }
  | {
      ok: false;
      /** BAD_SIGNATURE / MALFORMED: not verified; WRONG_MERCHANT: verified, another merchant's. */
      code: 'BAD_SIGNATURE' | 'MALFORMED' | 'WRONG_MERCHANT';
      reason: string;
      keys: NotifyLogKeys;
    };
