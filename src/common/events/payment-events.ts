/**
 * Events for asynchronous subscribers (metrics, future integrations). The payment side writes them
 * to t_outbox in the same transaction as the change; the outbox relay publishes them to Bull. No
 * order or payment state depends on them: the order is paid in the payment's own transaction.
 * Payloads are plain JSON (amounts in integer fen) and carry everything a subscriber needs.
 */
export const TOPICS = {
  PAYMENT_SUCCEEDED: 'payment.succeeded',
  REFUND_SUCCEEDED: 'refund.succeeded',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export interface PaymentSucceededEvent {
  paymentNo: string;
  orderNo: string;
  userId: string;
  channel: 'alipay' | 'wechat' | 'wallet';
  amount: number;
  channelTradeNo: string | null;
  paidAt: string;
  /** what the order side did (PAID, DUPLICATE_PAYMENT, …), decided in the same transaction */
  orderOutcome?: string;
}

/** A refund moved money back (written in the refund's success transaction). */
export interface RefundSucceededEvent {
  refundNo: string;
  paymentNo: string;
  orderNo: string;
  userId: string;
  channel: 'alipay' | 'wechat' | 'wallet';
  /** fen, this refund */
  amount: number;
  /** fen, the payment's succeeded refunds, this one included */
  refundedTotal: number;
  orderStatus: string;
  restocked: boolean;
  succeededAt: string;
}
