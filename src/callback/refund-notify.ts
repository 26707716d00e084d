import { Injectable, Logger } from '@nestjs/common';
import { tryYuanToFen } from '../payment/money';
import { PaymentRepository } from '../payment/payment.repository';
import { RefundApplyService } from '../payment/refund/refund-apply.service';
import { RefundRepository } from '../payment/refund/refund.repository';
import type { NotifyParams } from './alipay-notify';
import type { NotifyDecision } from './notify-handler.service';

/** A notify about a refund: `trade_status_sync` carrying `out_biz_no` (our refund number) and `refund_fee`. */
export function isRefundNotify(p: NotifyParams): boolean {
  return !!p.out_biz_no && p.refund_fee !== undefined;
}

/**
 * The refund notify (GATEWAY.md "Alipay refunds"): after a partial refund `trade_status` stays
 * TRADE_SUCCESS, after a full one it is TRADE_CLOSED; either way it names the refund by `out_biz_no`
 * and goes to the one refund apply function — never to the payment success path, and a TRADE_CLOSED
 * that carries a refund of ours is no anomaly. `refund_fee` is the trade's cumulative refunded amount,
 * so it cannot confirm this refund's own amount; the signature and the refund number do.
 */
@Injectable()
export class RefundNotifyHandler {
  private readonly logger = new Logger(RefundNotifyHandler.name);

  constructor(
    private readonly refunds: RefundRepository,
    private readonly apply: RefundApplyService,
    private readonly payments: PaymentRepository,
  ) {}

  async handle(p: NotifyParams, payment: { paymentNo: string; amount: number }): Promise<NotifyDecision> {
    const refund = await this.refunds.findByRefundNo(null, p.out_biz_no);
    const fee = tryYuanToFen(p.refund_fee);
    if (!refund || refund.paymentNo !== payment.paymentNo || fee === null || fee > payment.amount) {
      // a refund we never asked for (made in the merchant console?) or a malformed one: a person looks
      const detail = `refund notify ${p.notify_id}: out_biz_no ${p.out_biz_no}, refund_fee ${p.refund_fee}`;
      this.logger.error(`${detail} does not match a refund of payment ${payment.paymentNo}`);
      await this.payments.recordAnomaly(null, payment.paymentNo, 'UNKNOWN_REFUND', detail, { once: true });
      return { ack: 'success', outcome: 'REFUND_ANOMALY', detail };
    }
    const outcome = await this.apply.applySucceeded(refund.refundNo, 'notify', 'alipay');
    const map = {
      applied: 'REFUND_APPLIED',
      duplicate: 'REFUND_DUPLICATE',
      anomaly: 'REFUND_ANOMALY',
    } as const;
    return { ack: 'success', outcome: map[outcome], detail: refund.refundNo, changed: outcome === 'applied' };
  }
}
