import { randomInt } from 'node:crypto';
import { StateMachine } from '../../idempotency';

export const PAYOUT_STATUSES = ['REVIEW', 'PENDING', 'SUCCEEDED', 'FAILED'] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export const PAYOUT_CHANNELS = ['alipay', 'wechat'] as const;
export type PayoutChannel = (typeof PAYOUT_CHANNELS)[number];

/**
 * The payout state machine (DESIGN.md §4, docs/payouts.md), declared once; every move is a SQL CAS
 * (`UPDATE t_payout … WHERE payout_no = ? AND status = ?`, PayoutRepository.cas):
 * - REVIEW → PENDING (an admin approves: the transfer call follows), REVIEW → FAILED (rejected: money back);
 * - PENDING → SUCCEEDED (the gateway says SUCCESS), PENDING → FAILED (the gateway says FAIL / CANCELLED:
 *   money back);
 * - SUCCEEDED → FAILED: a bank bounce after success (Alipay `REFUND`): the money came back, and goes back to
 *   the wallet. `succeeded_at` stays, `failed_reason` says it bounced.
 * FAILED is terminal. Every way to FAILED returns the money under one marker,
 * `t_uq_dipose('PAYOUT_REVERSED', payoutNo)`, so it goes back once whichever path reports it.
 */
export const PAYOUT_MACHINE = new StateMachine<PayoutStatus>('payout', {
  REVIEW: ['PENDING', 'FAILED'],
  PENDING: ['SUCCEEDED', 'FAILED'],
  SUCCEEDED: ['FAILED'],
});

/** What a payout number looks like (`P` + 29 digits); anything else is 404 without a query. */
export const PAYOUT_NO_PATTERN = /^P[0-9]{29}$/;

/**
 * A payout number: `P` + `yyyyMMddHHmmssSSS` (UTC) + 12 random digits. 30 characters: within Alipay's
 * `out_biz_no` (64) and WeChat's `out_bill_no` (32, letters and digits only).
 */
export function newPayoutNo(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `P${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}${p(now.getUTCMilliseconds(), 3)}` +
    p(randomInt(0, 1_000_000), 6) +
    p(randomInt(0, 1_000_000), 6)
  );
}
