import { Injectable } from '@nestjs/common';
import { AnomalyFilter, AnomalyRepository, AnomalyView } from './anomaly/anomaly.repository';
import { Payment } from './entities/payment.entity';
import { PaymentRepository } from './payment.repository';
import { Refund } from './refund/refund.entity';
import { RefundRepository } from './refund/refund.repository';

/**
 * What other modules may read of payments, refunds and anomalies, and the one write they may make
 * (an anomaly, recorded once per payment and kind). Purpose-named, so the repositories stay inside the
 * payment module (src/payment/index.ts exports this, never a repository). Every read is a plain
 * committed read outside any transaction; a module that needs to change a payment calls the service
 * that owns the change (PaymentSuccessService, PaymentCloseService, RefundApplyService).
 */
@Injectable()
export class PaymentFacts {
  constructor(
    private readonly payments: PaymentRepository,
    private readonly refunds: RefundRepository,
    private readonly anomalyRepo: AnomalyRepository,
  ) {}

  payment(paymentNo: string): Promise<Payment | null> {
    return this.payments.findByPaymentNo(null, paymentNo);
  }

  paymentByTradeNo(channelTradeNo: string): Promise<Payment | null> {
    return this.payments.findByChannelTradeNo(null, channelTradeNo);
  }

  paymentsOfOrder(orderNo: string): Promise<Payment[]> {
    return this.payments.findByOrder(null, orderNo);
  }

  /** Payments paid (paid_at) in [from, to): reconciliation's side of the bill. */
  paidBetween(from: Date, to: Date): Promise<Payment[]> {
    return this.payments.findPaidBetween(null, from, to);
  }

  refund(refundNo: string): Promise<Refund | null> {
    return this.refunds.findByRefundNo(null, refundNo);
  }

  refundsOfOrder(orderNo: string): Promise<Refund[]> {
    return this.refunds.findByOrder(null, orderNo);
  }

  anomalies(f: AnomalyFilter): Promise<AnomalyView[]> {
    return this.anomalyRepo.list(null, f);
  }

  openAnomalies(): Promise<number> {
    return this.anomalyRepo.countOpen();
  }

  /** The console's overview: payments created and succeeded per minute and channel since `since`. */
  paymentsPerMinuteSince(since: Date) {
    return this.payments.perMinuteSince(since);
  }

  /** The console's overview: refunds succeeded per minute and channel since `since`. */
  refundsPerMinuteSince(since: Date) {
    return this.refunds.succeededPerMinuteSince(since);
  }

  /** Records an anomaly of a payment, once per payment and kind (a re-send records nothing more). */
  async recordAnomalyOnce(paymentNo: string, kind: string, detail: unknown): Promise<void> {
    await this.payments.recordAnomaly(null, paymentNo, kind, detail, { once: true });
  }
}
