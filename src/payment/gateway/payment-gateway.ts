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

export type PrecreateResult = { ok: true; qrCode: string } | { ok: false; reason: string };

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
}

export type BillResult = { ok: true; trades: BillTrade[] } | { ok: false; reason: string };
