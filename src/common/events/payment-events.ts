/**
 * Events for asynchronous subscribers (metrics, future integrations). The payment side writes them
 * to t_outbox in the same transaction as the change; the outbox relay publishes them to Bull. No
 * order or payment state depends on them: the order is paid in the payment's own transaction.
 * Payloads are plain JSON (amounts in integer fen) and carry everything a subscriber needs.
 */
export const TOPICS = {
  PAYMENT_SUCCEEDED: 'payment.succeeded',
  REFUND_SUCCEEDED: 'refund.succeeded',
  /** an order was cancelled (user cancel or expiry), written in the cancel's transaction */
  ORDER_CANCELLED: 'order.cancelled',
  /** a refund was concluded FAILED (its reservation released), written in that transaction */
  REFUND_FAILED: 'refund.failed',
  /** a t_payment_anomaly row was recorded (AnomalyOpenedEvent) */
  ANOMALY_OPENED: 'anomaly.opened',
  /** a transfer moved money between two wallets, written in the execute's transaction */
  TRANSFER_SUCCEEDED: 'transfer.succeeded',
  /** a payout reached the payee's account (the gateway said SUCCESS), written in that transaction */
  PAYOUT_SUCCEEDED: 'payout.succeeded',
  /** a payout failed, was rejected or bounced; its money went back to the wallet in that transaction */
  PAYOUT_FAILED: 'payout.failed',
} as const;

export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export interface PaymentSucceededEvent {
  paymentNo: string;
  orderNo: string;
  userId: string;
  channel: 'alipay' | 'wechat' | 'unionpay' | 'wallet';
  amount: number;
  channelTradeNo: string | null;
  paidAt: string;
  /** what the order side did (PAID, DUPLICATE_PAYMENT, …), decided in the same transaction */
  orderOutcome?: string;
}

/** A transfer moved money from one wallet to another (written in the execute's transaction). */
export interface TransferSucceededEvent {
  transferNo: string;
  fromUserId: string;
  toUserId: string;
  /** fen */
  amount: number;
  executedAt: string;
}

/** A refund moved money back (written in the refund's success transaction). */
export interface RefundSucceededEvent {
  refundNo: string;
  paymentNo: string;
  orderNo: string;
  userId: string;
  channel: 'alipay' | 'wechat' | 'unionpay' | 'wallet';
  /** fen, this refund */
  amount: number;
  /** fen, the payment's succeeded refunds, this one included */
  refundedTotal: number;
  orderStatus: string;
  restocked: boolean;
  succeededAt: string;
}

/** An order was cancelled and its stock released (written in the cancel's transaction). */
export interface OrderCancelledEvent {
  orderNo: string;
  userId: string;
  /** what it was before: CREATED, or PAYING once its payment was closed */
  from: string;
  /** user (a cancel request) or expired (ORDER_TTL_MS passed) */
  reason: 'user' | 'expired';
  totalAmount: number;
  cancelledAt: string;
}

/** A refund was concluded FAILED; nothing moved (written in the transaction that failed it). */
export interface RefundFailedEvent {
  refundNo: string;
  paymentNo: string;
  orderNo: string;
  userId: string;
  channel: 'alipay' | 'wechat' | 'unionpay' | 'wallet';
  amount: number;
  reason: string;
  failedAt: string;
}

/** Something on a payment needs a decision (written in the transaction that recorded it). */
export interface AnomalyOpenedEvent {
  id: string;
  paymentNo: string;
  kind: string;
  /** the automatic refund of late money, when one was started */
  refundNo: string | null;
  /** JSON text, as stored */
  detail: string;
}

/** A payout reached the payee (written in the transaction that made it SUCCEEDED). */
export interface PayoutSucceededEvent {
  payoutNo: string;
  userId: string;
  channel: 'alipay' | 'wechat';
  /** fen */
  amount: number;
  channelOrderId: string | null;
  succeededAt: string;
}

/** A payout ended without the money leaving (or it came back): the wallet was credited back once. */
export interface PayoutFailedEvent {
  payoutNo: string;
  userId: string;
  channel: 'alipay' | 'wechat';
  /** fen, returned to the wallet */
  amount: number;
  reason: string;
  /** true when it had SUCCEEDED and the bank sent it back */
  bounced: boolean;
  failedAt: string;
}
