import type {
  BillResult,
  CloseResult,
  PrecreateResult,
  QueryResult,
  RefundQueryResult,
  RefundResult,
} from '../gateway/payment-gateway';

/**
 * What a channel needs to know of one payment to talk about it: not a bare number. Alipay and WeChat
 * name a trade by `paymentNo` alone; UnionPay names it by `merId + orderId + txnTime` (txnTime: the
 * payment's creation, China time) and refunds it by the trade's `queryId` (`channelTradeNo`).
 */
export interface PaymentRef {
  paymentNo: string;
  /** fen */
  amount: number;
  subject: string;
  createdAt: Date;
  expiresAt: Date;
  /** The gateway's trade number once known (Alipay trade_no, WeChat transaction_id, UnionPay queryId). */
  channelTradeNo: string | null;
}

/** One refund of a payment: its number, creation time (UnionPay's refund txnTime) and amount. */
export interface RefundRef {
  refundNo: string;
  /** fen, this refund only */
  amount: number;
  createdAt: Date;
  reason: string;
  /** Overrides the configured refund notify URL (tests). */
  notifyUrl?: string;
}

/**
 * A payment channel's client, keyed by references. Business outcomes are values: UNKNOWN (timeouts,
 * transport errors, answers that do not verify, "ask again" codes) is never read as unpaid, closed or
 * failed — the caller asks again later. Only SUCCEEDED and FAILED conclude a refund.
 */
export interface ChannelGateway {
  precreate(p: PaymentRef, opts?: { notifyUrl?: string }): Promise<PrecreateResult>;
  query(p: PaymentRef): Promise<QueryResult>;
  close(p: PaymentRef): Promise<CloseResult>;
  refund(p: PaymentRef, r: RefundRef): Promise<RefundResult>;
  refundQuery(p: PaymentRef, r: RefundRef): Promise<RefundQueryResult>;
  /** The gateway's bill of a (China time) day, yyyy-MM-dd. */
  downloadBill(date: string): Promise<BillResult>;
}

/** A channel as the payment module sees it: a name, whether PAYMENT_CHANNELS enables it, its client. */
export interface ChannelPlugin {
  readonly channel: 'alipay' | 'wechat' | 'unionpay';
  readonly enabled: boolean;
  readonly gateway: ChannelGateway;
}

/** The multi-provider token every channel plugin is registered under (payment.module.ts). */
export const CHANNEL_PLUGINS = Symbol('CHANNEL_PLUGINS');
