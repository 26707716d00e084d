import { randomInt } from 'node:crypto';
import { StateMachine } from '../../idempotency';
import type { RefundStatus } from './refund.entity';
import type { RefundRequestStatus } from './refund-request.entity';

/**
 * Refund: PENDING → SUCCEEDED | FAILED, both terminal. FAILED only on a conclusive refusal by the
 * gateway (never on an unknown answer); it releases the payment's reservation in the same transaction.
 */
export const REFUND_MACHINE = new StateMachine<RefundStatus>('refund', {
  PENDING: ['SUCCEEDED', 'FAILED'],
});

/**
 * A new refund number (Alipay `out_request_no`, ≤ 64 letters/digits): `R` + `yyyyMMddHHmmssSSS` (UTC) +
 * 12 random digits, 30 characters. UNIQUE(refund_no) is the backstop of the 1-in-10^12 collision.
 */
export function newRefundNo(now: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts =
    `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}${p(now.getUTCMilliseconds(), 3)}`;
  return `R${ts}${p(randomInt(0, 1_000_000), 6)}${p(randomInt(0, 1_000_000), 6)}`;
}

/** A refund number oncepay makes: an admin's or a buyer's (`R` + 29 digits) or late money's (`RA` + payment no). */
export const REFUND_NO_PATTERN = /^(R[0-9]{29}|RA[A-Za-z0-9_]{1,40})$/;

/**
 * A user's refund request: OPEN → APPROVED (the refund was created in the same transaction) | REJECTED
 * (with the admin's reason), both terminal. Two decisions racing: the CAS lets exactly one through.
 */
export const REFUND_REQUEST_MACHINE = new StateMachine<RefundRequestStatus>('refund request', {
  OPEN: ['APPROVED', 'REJECTED'],
});

/** A refund request number: `RQ` + `yyyyMMddHHmmssSSS` (UTC) + 12 random digits, 31 characters. */
export function newRefundRequestNo(now: Date = new Date()): string {
  return `RQ${newRefundNo(now).slice(1)}`;
}

export const REFUND_REQUEST_NO_PATTERN = /^RQ[0-9]{29}$/;
