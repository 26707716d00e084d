/**
 * What the payment module needs from a payment gateway. Business outcomes are values, never
 * exceptions: a caller can always tell "paid", "not paid" and "unknown" apart, and UNKNOWN (timeouts,
 * transport errors, SYSTEM_ERROR, code 20000, a response whose signature does not verify) must never be
 * read as unpaid or closed — the caller retries later.
 */
export interface PaymentGateway {
  precreate(req: PrecreateRequest): Promise<PrecreateResult>;
  query(paymentNo: string): Promise<QueryResult>;
  close(paymentNo: string): Promise<CloseResult>;
  /** The gateway's bill of trades paid on a (China time) day, yyyy-MM-dd. */
  downloadBill(date: string): Promise<BillResult>;
  /**
   * Checks an async notify's signature (the parsed form values as received, sign + sign_type
   * included) with alipay-sdk's checkNotifySignV2. False when the keys cannot be loaded.
   */
  verifyNotify(params: Record<string, string>): Promise<boolean>;
  /**
   * Asks the gateway to refund `amount` of a paid payment under our refund number. A retry of the same
   * refund must reuse the same `refundNo` and `amount` (the gateway treats it as the same refund).
   * Only SUCCEEDED and FAILED are conclusive; PROCESSING and UNKNOWN are settled by `refundQuery`.
   */
  refund(req: RefundRequest): Promise<RefundResult>;
  /** What the gateway knows of one refund number of a payment. NOT_FOUND is "not refunded (yet)". */
  refundQuery(req: RefundQueryRequest): Promise<RefundQueryResult>;
}

export const PAYMENT_GATEWAY = Symbol('PAYMENT_GATEWAY');

export interface PrecreateRequest {
  paymentNo: string;
  /** fen */
  amount: number;
  subject: string;
  expiresAt: Date;
  /** Overrides the configured notify URL (tests point notifies at their own receiver). */
  notifyUrl?: string;
}

/**
 * `refusedCode`: the gateway refused this request for good (Alipay's sub_code, e.g. `ACQ.INVALID_PARAMETER`,
 * `ACQ.TOTAL_FEE_EXCEED`; WeChat's business code, e.g. `PARAM_ERROR`, `ORDER_CLOSED`): asking again under
 * this payment number cannot help. `tradeMayExist`: a trade under this number exists at the gateway
 * (WeChat `ORDER_CLOSED`, `OUT_TRADE_NO_USED`, `INVALID_REQUEST`), so it is closed there before the payment
 * is closed here. Without `refusedCode` a failure is "retry later".
 */
export type PrecreateResult =
  { ok: true; qrCode: string } | { ok: false; reason: string; refusedCode?: string; tradeMayExist?: boolean };

export type QueryResult =
  | { status: 'PAID'; tradeNo: string; amount: number; paidAt: Date }
  | { status: 'WAIT_BUYER_PAY' }
  | { status: 'CLOSED' }
  | { status: 'NOT_EXIST' }
  | { status: 'UNKNOWN'; reason: string };

export type CloseResult =
  { status: 'CLOSED' | 'NOT_EXIST' | 'ALREADY_PAID' } | { status: 'UNKNOWN'; reason: string };

export interface BillTrade {
  paymentNo: string;
  tradeNo: string;
  /** fen */
  amount: number;
  status: string;
  paidAt: Date | null;
  /** Whose bill the line came from (set by ChannelGatewayRouter when it merges the channels' bills). */
  channel?: 'alipay' | 'wechat' | 'unionpay';
}

/** The day's bill: payment lines (by payment day) and refund lines (by refund day). */
export type BillResult =
  { ok: true; trades: BillTrade[]; refunds: BillRefund[] } | { ok: false; reason: string };

/*
 * Refunds (issue: refunds; used by every channel). The shape every gateway implements for
 * `refund(req)` and `refundQuery(req)`. As for payments, only SUCCEEDED and FAILED are conclusive:
 * UNKNOWN and PROCESSING are settled by a later refund query, never read as "failed".
 */
export interface RefundRequest {
  paymentNo: string;
  /** Our refund number, generated and stored before the first call (Alipay `out_request_no`, WeChat `out_refund_no`). */
  refundNo: string;
  /** fen, this refund only */
  amount: number;
  /** fen, the payment's full amount (WeChat needs it; Alipay ignores it) */
  paymentAmount: number;
  reason: string;
  /** Overrides the configured refund notify URL (tests). */
  notifyUrl?: string;
}

export type RefundResult =
  /** Money moved for this refund number (Alipay `fund_change: Y`, WeChat `SUCCESS`). */
  | { status: 'SUCCEEDED'; refundedAt: Date | null }
  /** Accepted, not settled yet (WeChat `PROCESSING`, Alipay `fund_change: N`): query later. */
  | { status: 'PROCESSING' }
  /** A business refusal of this request (Alipay `40004` + sub_code, WeChat 4xx): permanent. */
  | { status: 'FAILED'; code: string; reason: string }
  | { status: 'UNKNOWN'; reason: string };

export interface RefundQueryRequest {
  paymentNo: string;
  refundNo: string;
}

export type RefundQueryResult =
  | { status: 'SUCCEEDED'; amount: number; refundedAt: Date | null }
  /** The gateway has no refund under this number (yet): retry the refund with the same number and amount. */
  | { status: 'NOT_FOUND' }
  | { status: 'PROCESSING' }
  /** The gateway says this refund ended without moving money (WeChat CLOSED/ABNORMAL). */
  | { status: 'FAILED'; reason: string }
  | { status: 'UNKNOWN'; reason: string };

/** A refund line of the gateway's bill (negative amounts in the bill; positive fen here). */
export interface BillRefund {
  paymentNo: string;
  refundNo: string;
  /** fen */
  amount: number;
  refundedAt: Date | null;
  /** Whose bill the line came from (set by ChannelGatewayRouter when it merges the channels' bills). */
  channel?: 'alipay' | 'wechat' | 'unionpay';
}
