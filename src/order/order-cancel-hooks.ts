import { Injectable } from '@nestjs/common';

/**
 * What closing the in-flight payments of an order came to:
 * `closed` (the order is CREATED again or already cancelled), `paid` (the gateway had been paid:
 * the success path ran), `none` (no pending payment to close), `retry` (the gateway's answer was unknown).
 */
export type PaymentCloseOutcome = 'closed' | 'paid' | 'none' | 'retry';

/** Closes the pending payments of an order at the gateway first, then locally. */
export type PayingOrderCloser = (orderNo: string) => Promise<PaymentCloseOutcome>;

/**
 * The seam that lets a user cancel an order whose payment is in flight, with dependencies kept one
 * way: the payment module registers its closer here at start; the order module calls it without
 * importing the payment module. Without a closer (payment module absent), PAYING stays not cancellable.
 */
@Injectable()
export class OrderCancelHooks {
  private closer?: PayingOrderCloser;

  registerPayingOrderCloser(closer: PayingOrderCloser): void {
    this.closer = closer;
  }

  closePayments(orderNo: string): Promise<PaymentCloseOutcome> {
    return this.closer ? this.closer(orderNo) : Promise.resolve('none');
  }
}
