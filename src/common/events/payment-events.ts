/**
 * Events between modules. The payment side writes them to t_outbox in the same transaction as the
 * change; the outbox relay publishes them to Bull; the order side consumes them. Payloads are plain
 * JSON (amounts in integer fen) and carry everything the consumer needs, so it never calls back.
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
  channel: 'alipay' | 'wallet';
  amount: number;
  channelTradeNo: string | null;
  paidAt: string;
}

/** A refund moved money back (written in the refund's success transaction). */
export interface RefundSucceededEvent {
  refundNo: string;
  paymentNo: string;
  orderNo: string;
  userId: string;
  channel: 'alipay' | 'wallet';
  /** fen, this refund */
  amount: number;
  /** fen, the payment's succeeded refunds, this one included */
  refundedTotal: number;
  orderStatus: string;
  restocked: boolean;
  succeededAt: string;
}
