import { DomainError, ErrorCode } from '../common/errors';

/**
 * Payment attempts one order may have. A payment number is the order number (29 characters) + `P` + the
 * attempt as two digits = 32 characters: WeChat's `out_trade_no` limit. The 100th attempt would be 33
 * characters, which WeChat refuses (PARAM_ERROR) on every pre-pay; it is refused here first.
 */
export const MAX_PAYMENT_ATTEMPTS = 99;

/**
 * The number of attempt `n` (1-based) of an order's payments, e.g. `…P01`.
 * @throws DomainError PAYMENT_ATTEMPTS_EXHAUSTED (409) past MAX_PAYMENT_ATTEMPTS: nothing is written.
 */
export function paymentNoFor(orderNo: string, n: number): string {
  if (n > MAX_PAYMENT_ATTEMPTS) {
    throw new DomainError(
      ErrorCode.PAYMENT_ATTEMPTS_EXHAUSTED,
      `This order has had ${MAX_PAYMENT_ATTEMPTS} payment attempts, the most one order may have; place a new order`,
      { orderNo, attempts: n - 1, max: MAX_PAYMENT_ATTEMPTS },
    );
  }
  return `${orderNo}P${String(n).padStart(2, '0')}`;
}
