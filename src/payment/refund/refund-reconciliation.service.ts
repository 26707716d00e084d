import { Inject, Injectable, Logger } from '@nestjs/common';
import { cstDay } from '../../common/china-time';
import { DomainError, ErrorCode } from '../../common/errors';
import { PAYMENT_GATEWAY, PaymentGateway } from '../gateway/payment-gateway';
import { PaymentRepository } from '../payment.repository';
import { RefundApplyService } from './refund-apply.service';
import { RefundRepository } from './refund.repository';

export interface RefundMismatch {
  paymentNo: string;
  refundNo: string;
  /** refund_not_recorded · unknown_refund · refund_amount_mismatch · refund_missing_in_bill */
  kind: string;
  repaired: boolean;
}

/**
 * The refund half of reconciliation: the bill's refund lines (by refund day, China time) against
 * t_refund. A refund the gateway made that is still PENDING here is repaired through the one apply
 * function (source `reconciliation`); a refund number we never made, or another amount, is reported
 * (and recorded as an anomaly), never applied; a refund SUCCEEDED here that day but absent from the bill
 * is reported. Re-running a day is harmless.
 */
@Injectable()
export class RefundReconciliationService {
  private readonly logger = new Logger(RefundReconciliationService.name);

  constructor(
    private readonly repo: RefundRepository,
    private readonly payments: PaymentRepository,
    private readonly apply: RefundApplyService,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
  ) {}

  /** @throws DomainError GATEWAY_UNAVAILABLE when the bill cannot be downloaded. */
  async reconcile(date: string): Promise<{ checked: number; mismatches: RefundMismatch[] }> {
    const day = cstDay(date);
    if (!day) throw new DomainError(ErrorCode.VALIDATION_FAILED, `date ${date} is not a day`, { date });
    const [from, to] = day;
    const bill = await this.gateway.downloadBill(date);
    if (!bill.ok) {
      throw new DomainError(ErrorCode.GATEWAY_UNAVAILABLE, `bill of ${date} could not be downloaded`);
    }
    const mismatches: RefundMismatch[] = [];
    const seen = new Set<string>();
    for (const line of bill.refunds) {
      seen.add(line.refundNo);
      const m = { paymentNo: line.paymentNo, refundNo: line.refundNo };
      const local = await this.repo.findByRefundNo(null, line.refundNo);
      if (!local || local.paymentNo !== line.paymentNo) {
        await this.payments.recordAnomaly(
          null,
          line.paymentNo,
          'UNKNOWN_REFUND',
          {
            source: 'reconciliation',
            ...line,
          },
          { once: true },
        );
        mismatches.push({ ...m, kind: 'unknown_refund', repaired: false });
      } else if (local.amount !== line.amount) {
        await this.payments.recordAnomaly(
          null,
          line.paymentNo,
          'REFUND_AMOUNT_MISMATCH',
          {
            source: 'reconciliation',
            refundNo: line.refundNo,
            expected: local.amount,
            reported: line.amount,
          },
          { once: true },
        );
        mismatches.push({ ...m, kind: 'refund_amount_mismatch', repaired: false });
      } else if (local.status !== 'SUCCEEDED') {
        const outcome = await this.apply.applySucceeded(
          line.refundNo,
          'reconciliation',
          line.channel ?? 'alipay', // a line of WeChat's bill settles WeChat refunds only
          line.amount,
        );
        mismatches.push({ ...m, kind: 'refund_not_recorded', repaired: outcome !== 'anomaly' });
      }
    }
    for (const r of await this.repo.findSucceededBetween(null, from, to)) {
      if (seen.has(r.refundNo)) continue;
      seen.add(r.refundNo);
      mismatches.push({
        paymentNo: r.paymentNo,
        refundNo: r.refundNo,
        kind: 'refund_missing_in_bill',
        repaired: false,
      });
    }
    if (mismatches.length) {
      this.logger.warn(
        `refund reconciliation ${date}: ${seen.size} checked, ${mismatches.length} mismatches`,
      );
    }
    return { checked: seen.size, mismatches };
  }
}
