import { Injectable } from '@nestjs/common';
import { PaymentRepository } from './payment.repository';
import type { SuccessMark } from './payment-success.service';

/**
 * DEMONSTRATIONS ONLY (the callback module's non-default CALLBACK_DEDUP_STRATEGY values, which config
 * validation refuses in production): the classic ways of marking a payment SUCCESS that the real path
 * (the PAYMENT_SUCCEEDED marker, then CAS) replaces. Each is a `mark` for `PaymentSuccessService.applyIn`,
 * so the money checks hold under all of them; only the dedup differs. They live here because they write
 * t_payment, which only the payment module does.
 */
@Injectable()
export class DemoSuccessMarks {
  constructor(private readonly payments: PaymentRepository) {}

  /** check-then-act's check: a plain read of the status (the race window is after it). */
  async isPaid(paymentNo: string): Promise<boolean> {
    return (await this.payments.findByPaymentNo(null, paymentNo))?.status === 'SUCCESS';
  }

  /** UNSAFE: the blind write check-then-act is made of (no status guard at all). */
  readonly unguarded: SuccessMark = async (m, input) => {
    await this.payments.markSuccessUnguarded(m, input.paymentNo, input.channelTradeNo, input.paidAt);
    return 'marked';
  };

  /** Pessimistic: `SELECT … FOR UPDATE` on the payment row, then check and write. */
  readonly forUpdate: SuccessMark = async (m, input) => {
    const locked = await this.payments.findByPaymentNo(m, input.paymentNo, true);
    if (locked?.status === 'SUCCESS') return 'duplicate';
    await this.payments.markSuccessUnguarded(m, input.paymentNo, input.channelTradeNo, input.paidAt);
    return 'marked';
  };

  /** Optimistic: `UPDATE … WHERE status IN ('PENDING','CLOSED')`; the row count says who won. */
  readonly optimistic: SuccessMark = async (m, input) => {
    const set = { channel_trade_no: input.channelTradeNo, paid_at: input.paidAt };
    const won = await this.payments.cas(m, input.paymentNo, ['PENDING', 'CLOSED'], 'SUCCESS', set);
    return won ? 'marked' : 'duplicate';
  };
}
