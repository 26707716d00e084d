import type {
  OrderCancelledEvent,
  PaymentSucceededEvent,
  RefundFailedEvent,
  RefundSucceededEvent,
} from './payment-events';
import { TOPICS } from './payment-events';

/**
 * The events a business application can receive (webhooks and `GET /v1/events`), and how each outbox
 * topic becomes them. The events module (src/events) turns every outbox row of a topic listed in
 * {@link PUBLIC_EVENTS_OF_TOPIC} into the public events its mapper returns, each once, in the feed's
 * order. A module that adds an outbox topic of public interest (transfer.*, payout.*) adds its types to
 * PUBLIC_EVENT_TYPES and one mapper here, and documents the data in docs/events.md.
 */
export const PUBLIC_EVENT_TYPES = [
  'order.paid',
  'order.cancelled',
  'order.refunded',
  'order.partially_refunded',
  'payment.succeeded',
  'refund.succeeded',
  'refund.failed',
  'anomaly.opened',
  'transfer.succeeded',
  'payout.succeeded',
  'payout.failed',
] as const;

export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

/** One public event derived from an outbox row. */
export interface PublicEventDraft {
  type: PublicEventType;
  /** The resource it is about (`order:<orderNo>`): its events carry versions 1, 2, … in feed order. */
  resource: string;
  data: Record<string, unknown>;
}

type Mapper = (payload: Record<string, unknown>) => PublicEventDraft[];

/**
 * Outbox topic → public events. One outbox row may announce two things that happened in one
 * transaction: a payment that succeeded and paid its order is `payment.succeeded` and `order.paid`.
 */
export const PUBLIC_EVENTS_OF_TOPIC: Record<string, Mapper> = {
  [TOPICS.PAYMENT_SUCCEEDED]: (p) => {
    const e = p as unknown as PaymentSucceededEvent;
    const out: PublicEventDraft[] = [
      { type: 'payment.succeeded', resource: `payment:${e.paymentNo}`, data: p },
    ];
    if (e.orderOutcome === 'PAID') {
      out.push({
        type: 'order.paid',
        resource: `order:${e.orderNo}`,
        data: {
          orderNo: e.orderNo,
          userId: e.userId,
          paymentNo: e.paymentNo,
          amount: e.amount,
          paidAt: e.paidAt,
        },
      });
    }
    return out;
  },
  [TOPICS.REFUND_SUCCEEDED]: (p) => {
    const e = p as unknown as RefundSucceededEvent;
    const out: PublicEventDraft[] = [{ type: 'refund.succeeded', resource: `refund:${e.refundNo}`, data: p }];
    if (e.orderStatus === 'REFUNDED' || e.orderStatus === 'PARTIALLY_REFUNDED') {
      out.push({
        type: e.orderStatus === 'REFUNDED' ? 'order.refunded' : 'order.partially_refunded',
        resource: `order:${e.orderNo}`,
        data: {
          orderNo: e.orderNo,
          userId: e.userId,
          refundNo: e.refundNo,
          amount: e.amount,
          refundedTotal: e.refundedTotal,
          status: e.orderStatus,
          refundedAt: e.succeededAt,
        },
      });
    }
    return out;
  },
  [TOPICS.ORDER_CANCELLED]: (p) => {
    const e = p as unknown as OrderCancelledEvent;
    return [{ type: 'order.cancelled', resource: `order:${e.orderNo}`, data: p }];
  },
  [TOPICS.REFUND_FAILED]: (p) => {
    const e = p as unknown as RefundFailedEvent;
    return [{ type: 'refund.failed', resource: `refund:${e.refundNo}`, data: p }];
  },
  // anomaly.opened: written with every t_payment_anomaly row (AnomalyRepository.record, issue 24);
  // transfer.succeeded: the wallet's transfer execute (TransferSucceededEvent), in its transaction
  [TOPICS.ANOMALY_OPENED]: (p) => [{ type: 'anomaly.opened', resource: `anomaly:${String(p.id)}`, data: p }],
  [TOPICS.TRANSFER_SUCCEEDED]: (p) => [
    { type: 'transfer.succeeded', resource: `transfer:${String(p.transferNo)}`, data: p },
  ],
  // payout.succeeded / payout.failed: the payout module (src/payment/payout), in the settling transaction
  [TOPICS.PAYOUT_SUCCEEDED]: (p) => [
    { type: 'payout.succeeded', resource: `payout:${String(p.payoutNo)}`, data: p },
  ],
  [TOPICS.PAYOUT_FAILED]: (p) => [
    { type: 'payout.failed', resource: `payout:${String(p.payoutNo)}`, data: p },
  ],
};

/** The outbox topics the events module reads. */
export function publicTopics(): string[] {
  return Object.keys(PUBLIC_EVENTS_OF_TOPIC);
}

/** Whether `type` matches a subscription pattern: `*`, `refund.*`, or an exact type. */
export function typeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}
