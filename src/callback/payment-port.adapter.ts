import { Inject, Injectable } from '@nestjs/common';
import { DedupService } from '../idempotency';
import { PAYMENT_GATEWAY, PaymentGateway } from '../payment/gateway/payment-gateway';
import { PaymentCloseService } from '../payment/payment-close.service';
import { PaymentSuccessService } from '../payment/payment-success.service';
import { PaymentRepository } from '../payment/payment.repository';
import { Payment } from '../payment/entities/payment.entity';
import { BillTrade, PaymentPort, PaymentView, SuccessInput, SuccessOutcome } from './payment-port';

/** Anomaly kinds that must be recorded once per payment, however often the event is seen. */
const ONCE_KINDS = new Set(['PAID_AFTER_CANCEL', 'REFUND_OR_LATE_CLOSE']);

/** PaymentPort on the payment module's exported services (the only place src/callback names them). */
@Injectable()
export class PaymentPortAdapter extends PaymentPort {
  constructor(
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly success: PaymentSuccessService,
    private readonly close: PaymentCloseService,
    private readonly repo: PaymentRepository,
    private readonly dedup: DedupService,
  ) {
    super();
  }

  async verifyNotify(params: Record<string, string>): Promise<boolean> {
    return this.gateway.verifyNotify(params);
  }

  async findPayment(paymentNo: string): Promise<PaymentView | null> {
    const p = await this.repo.findByPaymentNo(null, paymentNo);
    return p ? view(p) : null;
  }

  applySuccess(input: SuccessInput): Promise<SuccessOutcome> {
    return this.success.applySuccess(input);
  }

  closePending(paymentNo: string, reason: string): Promise<boolean> {
    return this.close.closePending(paymentNo, reason);
  }

  async recordAnomaly(paymentNo: string, kind: string, detail: string): Promise<void> {
    const no = paymentNo.slice(0, 40);
    if (!ONCE_KINDS.has(kind)) {
      await this.repo.recordAnomaly(null, no, kind, detail);
      return;
    }
    // at-least-once deliveries (re-sent notifies, re-run jobs) must not pile up duplicate rows
    await this.dedup.runOnce(kind, no, (m) => this.repo.recordAnomaly(m, no, kind, detail));
  }

  async downloadBill(date: string): Promise<BillTrade[]> {
    const r = await this.gateway.downloadBill(date);
    if (!r.ok) throw new Error(`bill of ${date}: ${r.reason}`);
    return r.trades.map((t) => ({
      outTradeNo: t.paymentNo,
      tradeNo: t.tradeNo,
      amount: t.amount,
      status: t.status,
      paidAt: t.paidAt,
    }));
  }

  async findPaidOn(date: string): Promise<PaymentView[]> {
    // the bill's day is a China-time (UTC+8) calendar day
    const from = new Date(`${date}T00:00:00+08:00`);
    const to = new Date(from.getTime() + 24 * 3600_000);
    return (await this.repo.findPaidBetween(from, to)).map(view);
  }
}

function view(p: Payment): PaymentView {
  return {
    paymentNo: p.paymentNo,
    orderNo: p.orderNo,
    userId: p.userId,
    channel: p.channel,
    amount: Number(p.amount),
    status: p.status,
    channelTradeNo: p.channelTradeNo,
  };
}
