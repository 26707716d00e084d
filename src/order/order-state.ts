import { StateMachine } from '../idempotency';

export const ORDER_STATUSES = [
  'CREATED',
  'PAYING',
  'PAID',
  'CANCELLED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_TYPES = ['GOODS', 'RECHARGE'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

/**
 * The order state machine (DESIGN.md §4), declared once. Every status change of t_order goes through
 * `casTransition(..., machine: ORDER_MACHINE, ...)`, which refuses a pair that is not listed here.
 *
 * - CREATED → PAYING: a gateway payment was started (payment module, `markPaying`).
 * - CREATED → PAID: wallet payment in one transaction, or a late gateway success after a reopen.
 * - CREATED → CANCELLED: user cancel or expiry (stock released in the same transaction).
 * - PAYING → PAID: payment succeeded.
 * - PAYING → CREATED: the payment was closed unpaid (`reopen`).
 * - PAYING → CANCELLED: the order expired while paying, after the gateway trade was closed.
 * - PAID → PARTIALLY_REFUNDED | REFUNDED, PARTIALLY_REFUNDED → REFUNDED: a refund succeeded
 *   (payment module, `OrderRefundService.applyRefundSucceeded`, in the refund's transaction).
 * CANCELLED and REFUNDED are terminal.
 */
export const ORDER_MACHINE = new StateMachine<OrderStatus>('order', {
  CREATED: ['PAYING', 'PAID', 'CANCELLED'],
  PAYING: ['PAID', 'CREATED', 'CANCELLED'],
  PAID: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  PARTIALLY_REFUNDED: ['REFUNDED'],
  CANCELLED: [],
  REFUNDED: [],
});

/** The order was paid (a refund may have given part or all of it back since). */
export function wasPaid(status: OrderStatus): boolean {
  return status === 'PAID' || status === 'PARTIALLY_REFUNDED' || status === 'REFUNDED';
}
