import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { paymentConfig } from '../config/configuration';
import { ReconciliationRunRepository, RunTrigger } from './reconciliation-run.repository';
import { cstDay } from '../common/china-time';
import { DomainError, ErrorCode } from '../common/errors';
import {
  type BillTrade,
  isPaidStatus,
  PAYMENT_GATEWAY,
  PaymentFacts,
  type PaymentGateway,
  PaymentSuccessService,
  PayoutReconciliationService,
  RefundReconciliationService,
} from '../payment';
import { ReconciliationMismatchDto, ReconciliationReportDto } from './dto/reconciliation.dto';

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
 * - payouts: PayoutReconciliationService, the payout channels' fund bills (`payout_status` repaired through
 *   the transfer query; `payout_missing_local`, `payout_missing_remote`, `payout_amount` and an unsettled
 *   `payout_status` reported, as anomalies when a person must act).
 *
 * Re-running a day is harmless: a repaired trade is SUCCESS the second time. Every run, scheduled or
 * asked for, is stored in t_reconciliation_run (RUNNING first, then its counts and each mismatch with
 * its repair, or FAILED with why): GET /v1/admin/reconciliations pages through them.
 */
@Injectable()
export class ReconciliationService {
  private readonly logger = new Logger(ReconciliationService.name);

  constructor(
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly facts: PaymentFacts,
    private readonly success: PaymentSuccessService,
    private readonly refunds: RefundReconciliationService,
    private readonly payouts: PayoutReconciliationService,
    private readonly runs: ReconciliationRunRepository,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
  ) {}

  /** One run, stored with its findings (or its failure). */
  async reconcile(
    date: string,
    opts: { trigger: RunTrigger; requestedBy?: string | null } = { trigger: 'requested' },
  ): Promise<ReconciliationReportDto> {
    const day = cstDay(date);
    if (!day) throw new DomainError(ErrorCode.VALIDATION_FAILED, `date ${date} is not a day`, { date });
    const channels = this.cfg.channels.filter((c) => c !== 'wallet');
    const runId = await this.runs.start(date, channels, opts.trigger, opts.requestedBy ?? null);
    try {
      const report = await this.run(date, day);
      await this.runs.finish(runId, report.checked, report.mismatches);
      return { ...report, runId };
    } catch (err) {
      await this.runs
        .fail(runId, (err as Error).message)
        .catch((e: Error) => this.logger.warn(`run ${runId} not marked FAILED: ${e.message}`));
      throw err;
    }
  }

  private async run(date: string, day: [Date, Date]): Promise<ReconciliationReportDto> {
    const r = await this.gateway
      .downloadBill(date)
      .catch((err: Error) => ({ ok: false as const, reason: err.message }));
    if (!r.ok) {
      this.logger.warn(`bill of ${date}: ${r.reason}`);
      throw new DomainError(ErrorCode.GATEWAY_UNAVAILABLE, `bill of ${date} could not be downloaded`);
    }
    const bill: BillTrade[] = r.trades;
    const mismatches: ReconciliationMismatchDto[] = [];
    const seen = new Set<string>();
    for (const trade of bill) {
      seen.add(trade.paymentNo);
      if (!paidLine(trade)) continue;
      const m = await this.checkTrade(trade);
      if (m) mismatches.push(m);
    }
    for (const p of await this.facts.paidBetween(day[0], day[1])) {
      if (seen.has(p.paymentNo)) continue;
      seen.add(p.paymentNo);
      mismatches.push({
        paymentNo: p.paymentNo,
        channel: p.channel,
        kind: 'missing_in_bill',
        repaired: false,
      });
    }
    // refund lines (issue 12): compared with t_refund, repaired through the one refund apply function
    const refunds = await this.refunds.reconcile(date);
    mismatches.push(...refunds.mismatches);
    // payouts (issue 26): each payout channel's fund bill against t_payout, settled through the transfer query
    const payouts = await this.payouts.reconcile(date);
    mismatches.push(...payouts.mismatches);
    const report: ReconciliationReportDto = {
      date,
      checked: seen.size + refunds.checked + payouts.checked,
      mismatches,
    };
    const level = mismatches.some((m) => !m.repaired) ? 'error' : 'log';
    this.logger[level](
      `reconciliation ${date}: ${seen.size} checked, ${mismatches.length} mismatches ` +
        `(${mismatches.filter((m) => m.repaired).length} repaired)`,
    );
    return report;
  }

  private async checkTrade(trade: BillTrade): Promise<ReconciliationMismatchDto | null> {
    const paymentNo = trade.paymentNo;
    const channel = trade.channel ?? 'alipay';
    const local = await this.facts.payment(paymentNo);
    if (!local) return { paymentNo, channel, kind: 'unknown_trade', repaired: false };
    if (local.amount !== trade.amount)
      return { paymentNo, channel, kind: 'amount_mismatch', repaired: false };
    if (local.status === 'SUCCESS') {
      if (local.channelTradeNo && trade.tradeNo && local.channelTradeNo !== trade.tradeNo) {
        return { paymentNo, channel, kind: 'trade_no_mismatch', repaired: false };
      }
      return null;
    }
    const outcome = await this.success.applySuccess({
      paymentNo,
      channel: trade.channel ?? 'alipay', // a line of WeChat's bill pays WeChat payments only
      channelTradeNo: trade.tradeNo,
      amount: trade.amount,
      paidAt: trade.paidAt ?? new Date(),
      source: 'reconciliation',
    });
    return { paymentNo, channel, kind: 'paid_not_recorded', repaired: outcome !== 'anomaly' };
  }
}

/** A paid line of a channel's bill: Alipay TRADE_SUCCESS / TRADE_FINISHED, WeChat and UnionPay SUCCESS. */
function paidLine(trade: BillTrade): boolean {
  return trade.channel && trade.channel !== 'alipay'
    ? trade.status === 'SUCCESS'
    : isPaidStatus(trade.status);
}
