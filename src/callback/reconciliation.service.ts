import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '../common/errors';
import { ReconciliationMismatchDto, ReconciliationReportDto } from './dto/reconciliation.dto';
import { isPaidStatus } from './alipay-notify';
import { BillTrade, PaymentPort } from './payment-port';
import { RefundReconciliationService } from '../payment/refund/refund-reconciliation.service';

/**
 * Compares the gateway's bill of one day with local payments and repairs what can be repaired.
 *
 * - paid in the bill, PENDING/CLOSED here → `paid_not_recorded`, repaired through the same
 *   exactly-once success path as a callback (applySuccess, source 'reconciliation');
 * - paid in the bill, no such payment here → `unknown_trade` (reported, nothing to repair);
 * - amounts or trade numbers differ → `amount_mismatch` / `trade_no_mismatch` (reported, never paid);
 * - paid here that day, absent from the bill → `missing_in_bill` (reported).
 * - refund lines: RefundReconciliationService (`refund_not_recorded` repaired, `unknown_refund`,
 *   `refund_amount_mismatch`, `refund_missing_in_bill` reported).
 *
 * Re-running a day is harmless: a repaired trade is SUCCESS the second time.
 */
@Injectable()
export class ReconciliationService {
  private readonly logger = new Logger(ReconciliationService.name);

  constructor(
    private readonly payments: PaymentPort,
    private readonly refunds: RefundReconciliationService,
  ) {}

  async reconcile(date: string): Promise<ReconciliationReportDto> {
    let bill: BillTrade[];
    try {
      bill = await this.payments.downloadBill(date);
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw new DomainError(ErrorCode.GATEWAY_UNAVAILABLE, `bill of ${date} could not be downloaded`);
    }
    const mismatches: ReconciliationMismatchDto[] = [];
    const seen = new Set<string>();
    for (const trade of bill) {
      seen.add(trade.outTradeNo);
      if (!isPaidStatus(trade.status)) continue;
      const m = await this.checkTrade(trade);
      if (m) mismatches.push(m);
    }
    for (const p of await this.payments.findPaidOn(date)) {
      if (seen.has(p.paymentNo)) continue;
      seen.add(p.paymentNo);
      mismatches.push({ paymentNo: p.paymentNo, kind: 'missing_in_bill', repaired: false });
    }
    // refund lines (issue 12): compared with t_refund, repaired through the one refund apply function
    const refunds = await this.refunds.reconcile(date);
    mismatches.push(...refunds.mismatches);
    const report = { date, checked: seen.size + refunds.checked, mismatches };
    const level = mismatches.some((m) => !m.repaired) ? 'error' : 'log';
    this.logger[level](
      `reconciliation ${date}: ${seen.size} checked, ${mismatches.length} mismatches ` +
        `(${mismatches.filter((m) => m.repaired).length} repaired)`,
    );
    return report;
  }

  private async checkTrade(trade: BillTrade): Promise<ReconciliationMismatchDto | null> {
    const paymentNo = trade.outTradeNo;
    const local = await this.payments.findPayment(paymentNo);
    if (!local) return { paymentNo, kind: 'unknown_trade', repaired: false };
    if (local.amount !== trade.amount) return { paymentNo, kind: 'amount_mismatch', repaired: false };
    if (local.status === 'SUCCESS') {
      if (local.channelTradeNo && trade.tradeNo && local.channelTradeNo !== trade.tradeNo) {
        return { paymentNo, kind: 'trade_no_mismatch', repaired: false };
      }
      return null;
    }
    const outcome = await this.payments.applySuccess({
      paymentNo,
      channelTradeNo: trade.tradeNo,
      amount: trade.amount,
      paidAt: trade.paidAt ?? new Date(),
      source: 'reconciliation',
    });
    return { paymentNo, kind: 'paid_not_recorded', repaired: outcome !== 'anomaly' };
  }
}
