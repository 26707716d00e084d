/**
 * Everything the callback module needs from the payment module, in one place. PaymentPortAdapter
 * implements it with the payment module's exported services; the rest of src/callback depends on
 * this shape only.
 */

export type PaymentStatus = 'PENDING' | 'SUCCESS' | 'CLOSED';

export interface PaymentView {
  paymentNo: string;
  orderNo: string;
  userId: string;
  channel: string;
  /** integer fen */
  amount: number;
  status: PaymentStatus;
  channelTradeNo: string | null;
}

export type SuccessSource = 'callback' | 'query' | 'reconciliation';

export interface SuccessInput {
  paymentNo: string;
  channelTradeNo: string;
  /** integer fen, already checked against the payment */
  amount: number;
  paidAt: Date;
  source: SuccessSource;
}

export type SuccessOutcome = 'applied' | 'duplicate' | 'anomaly';

/** One trade of the gateway's daily bill. */
export interface BillTrade {
  outTradeNo: string;
  tradeNo: string;
  /** integer fen */
  amount: number;
  status: string;
  paidAt: Date | null;
}

export abstract class PaymentPort {
  /** RSA2 check of a notify's parsed form (alipay-sdk checkNotifySignV2). */
  abstract verifyNotify(params: Record<string, string>): Promise<boolean>;
  /** A plain read (no transaction, no lock). */
  abstract findPayment(paymentNo: string): Promise<PaymentView | null>;
  /** The one exactly-once success path (runOnce + CAS + outbox in one transaction). */
  abstract applySuccess(input: SuccessInput): Promise<SuccessOutcome>;
  /** CAS PENDING → CLOSED (and the order side effects of a close). True iff this call closed it. */
  abstract closePending(paymentNo: string, reason: string): Promise<boolean>;
  /** Appends a row to t_payment_anomaly. */
  abstract recordAnomaly(paymentNo: string, kind: string, detail: string): Promise<void>;
  /** The gateway's bill of one day (YYYY-MM-DD). Throws when the gateway cannot be reached. */
  abstract downloadBill(date: string): Promise<BillTrade[]>;
  /** Local alipay payments marked paid on that day, for the reverse comparison. */
  abstract findPaidOn(date: string): Promise<PaymentView[]>;
}
