/**
 * THE rule "money we cannot keep goes back" (issue 24), in one place: what becomes of an anomaly of a
 * given kind. Every path that records an anomaly on a payment that succeeded (notify, active query,
 * sweeper, reconciliation, the expiry close) goes through LateMoneyService, which asks this.
 *
 * - `refund`: late money — the payment succeeded when its order could no longer take it (paid after the
 *   order was cancelled or expired, a second payment of an order already paid). With AUTO_REFUND on it
 *   is refunded in full, by itself, once, under {@link lateRefundNo}; off, it waits OPEN for a person.
 * - `person`: a mismatch (amount, channel, a reused trade number, a refund that disagrees) or anything
 *   unknown: never paid, never refunded by itself; OPEN until an operator resolves it.
 * - `record`: the order took the money after all (paid after our close, but the order was still
 *   payable): nothing to give back; OPEN for the record (docs/operations.md).
 */
export type LateMoneyAction = 'refund' | 'person' | 'record';

const ACTIONS: Record<string, LateMoneyAction> = {
  PAID_AFTER_CANCEL: 'refund',
  PAID_AFTER_CLOSE_UNFULFILLABLE: 'refund',
  DUPLICATE_PAYMENT: 'refund',
  PAID_AFTER_CLOSE: 'record',
};

/** The kinds of late money: a payment has at most one anomaly of these, whichever path found it first. */
export const LATE_MONEY_KINDS: readonly string[] = Object.keys(ACTIONS).filter(
  (k) => ACTIONS[k] === 'refund',
);

export function lateMoneyAction(kind: string): LateMoneyAction {
  return ACTIONS[kind] ?? 'person';
}

/** Whether an anomaly of `kind` is refunded by itself under the AUTO_REFUND setting. */
export function refundsItself(kind: string, autoRefund: boolean): boolean {
  return autoRefund && lateMoneyAction(kind) === 'refund';
}

/**
 * The refund number of a payment's late money: `RA` + the payment number. Deterministic, so whichever
 * path and instance gets there computes the same number and UNIQUE(refund_no) decides; ≤ 42 characters of
 * letters and digits (Alipay out_request_no and WeChat out_refund_no take 64). A payment has at most one.
 */
export function lateRefundNo(paymentNo: string): string {
  return `RA${paymentNo}`;
}

export const LATE_REFUND_NO_PATTERN = /^RA[A-Za-z0-9_]{1,40}$/;

/** Who `t_refund.requested_by` names for an automatic refund. */
export const AUTO_REFUND_BY = 'auto-refund';
