import { Injectable, Logger } from '@nestjs/common';
import { TransactionService } from '../../common/database/transaction.service';
import { RefundFailedEvent, RefundSucceededEvent, TOPICS } from '../../common/events/payment-events';
import { OutboxService } from '../../common/outbox/outbox.service';
import { DedupService } from '../../idempotency';
import { OrderRefundService } from '../../order';
import { PaymentRepository } from '../payment.repository';
import type { PaymentChannel } from '../entities/payment.entity';
import type { Refund } from './refund.entity';
import { RefundRepository } from './refund.repository';
import { AnomalyRepository } from '../anomaly/anomaly.repository';
import { LATE_REFUND_NO_PATTERN } from '../anomaly/late-money';

export type RefundSource = 'answer' | 'query' | 'notify' | 'reconciliation' | 'wallet' | 'sweeper';
export type RefundApplyOutcome = 'applied' | 'duplicate' | 'anomaly';
export type RefundFailOutcome = 'failed' | 'not_pending' | 'anomaly';

/** Rolls the apply transaction (and its marker) back when there is nothing to apply. */
class NotApplied {
  constructor(readonly outcome: RefundApplyOutcome) {}
}

/**
 * The two state changes of money for a refund, each one function that every entry calls:
 *
 * - `applySucceeded` — "the gateway says this refund moved money" (its answer, the refund query, the
 *   refund notify, reconciliation; a wallet refund at once). One transaction: the payment row lock
 *   (the one lock order of every refund change), marker `t_uq_dipose('REFUND_SUCCEEDED', refundNo)`, CAS
 *   PENDING → SUCCEEDED, the order side (CAS PAID → PARTIALLY_REFUNDED → REFUNDED, wallet credit for a
 *   wallet payment, restock once) through OrderRefundService in the same manager, outbox
 *   `refund.succeeded`.
 * Both check first that the news comes from the refund's own channel (an Alipay notify naming a WeChat
 * refund changes nothing: anomaly REFUND_CHANNEL_MISMATCH).
 *
 * - `fail` — a conclusive refusal: CAS PENDING → FAILED and, in the same transaction, the payment's
 *   reservation released and a recharge's wallet debit given back: exactly once, because only the
 *   CAS winner releases.
 */
@Injectable()
export class RefundApplyService {
  private readonly logger = new Logger(RefundApplyService.name);

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: RefundRepository,
    private readonly payments: PaymentRepository,
    private readonly dedup: DedupService,
    private readonly outbox: OutboxService,
    private readonly orders: OrderRefundService,
    private readonly anomalies: AnomalyRepository,
  ) {}

  /**
   * @param channel the channel that brings the news (the notify endpoint's, the bill's, or the refund's
   *   own for its gateway's answer and query): another channel's news never settles a refund — anomaly
   *   REFUND_CHANNEL_MISMATCH, nothing applied.
   * @param reportedAmount this refund's amount as the gateway reported it (query); a different amount
   *   is recorded as an anomaly and never applied.
   * @throws Error when the refund does not exist or the database fails (nothing applied; retry).
   */
  async applySucceeded(
    refundNo: string,
    source: RefundSource,
    channel: PaymentChannel,
    reportedAmount?: number,
  ): Promise<RefundApplyOutcome> {
    const refund = await this.repo.findByRefundNo(null, refundNo);
    if (!refund) throw new Error(`refund ${refundNo} not found`);
    if (refund.status === 'SUCCEEDED') return 'duplicate';
    if (await this.channelMismatch(refund, channel, source)) return 'anomaly';
    if (reportedAmount !== undefined && reportedAmount !== refund.amount) {
      await this.payments.recordAnomaly(
        null,
        refund.paymentNo,
        'REFUND_AMOUNT_MISMATCH',
        {
          refundNo,
          source,
          expected: refund.amount,
          reported: reportedAmount,
        },
        { once: true },
      );
      return 'anomaly';
    }
    let event: RefundSucceededEvent;
    try {
      event = await this.tx.run(async (outer) => {
        await this.payments.lockForRefund(outer, refund.paymentNo);
        const res = await this.dedup.runOnce(
          'REFUND_SUCCEEDED',
          refundNo,
          async (m) => {
            const now = new Date();
            if (!(await this.repo.cas(m, refundNo, ['PENDING'], 'SUCCEEDED', { succeeded_at: now }))) {
              // FAILED: we took a conclusive refusal, yet the gateway now says it refunded
              throw new NotApplied('anomaly');
            }
            const payment = await this.payments.lockForRefund(m, refund.paymentNo);
            const total = await this.repo.succeededTotal(m, refund.paymentNo);
            const order = await this.orders.applyRefundSucceeded(m, {
              orderNo: refund.orderNo,
              refundNo,
              paymentNo: refund.paymentNo,
              fully: total >= payment.amount,
              restock: refund.restock,
              walletCredit: refund.channel === 'wallet' ? refund.amount : 0,
            });
            const ev: RefundSucceededEvent = {
              refundNo,
              paymentNo: refund.paymentNo,
              orderNo: refund.orderNo,
              userId: refund.userId,
              channel: refund.channel,
              amount: refund.amount,
              refundedTotal: total,
              orderStatus: order.status,
              restocked: order.restocked,
              succeededAt: now.toISOString(),
            };
            await this.outbox.add(m, TOPICS.REFUND_SUCCEEDED, refundNo, ev);
            // late money that went back by itself: its anomaly is AUTO_REFUNDED in the same commit
            if (LATE_REFUND_NO_PATTERN.test(refundNo)) await this.anomalies.markAutoRefunded(m, refundNo);
            return ev;
          },
          { manager: outer },
        );
        if (res.status === 'duplicate') throw new NotApplied('duplicate');
        return res.result;
      });
    } catch (err) {
      if (!(err instanceof NotApplied)) throw err;
      if (err.outcome === 'anomaly') {
        this.logger.error(`refund ${refundNo} reported succeeded (${source}) after it was concluded FAILED`);
        await this.payments.recordAnomaly(
          null,
          refund.paymentNo,
          'REFUND_SUCCEEDED_AFTER_FAIL',
          {
            refundNo,
            source,
          },
          { once: true },
        );
      }
      return err.outcome;
    }
    this.logger.log(
      `refund ${refundNo} SUCCEEDED via ${source}: order ${event.orderNo} ${event.orderStatus}`,
    );
    return 'applied';
  }

  /**
   * A conclusive refusal, brought by `channel` (as `applySucceeded`: another channel's news is anomaly
   * REFUND_CHANNEL_MISMATCH and fails nothing).
   * @returns `failed` iff this call failed it (and released its reservation); `not_pending` when it
   *   is not PENDING (any more); `anomaly` for another channel's news.
   */
  async fail(refundNo: string, reason: string, channel: PaymentChannel): Promise<RefundFailOutcome> {
    const refund = await this.repo.findByRefundNo(null, refundNo);
    if (!refund || refund.status !== 'PENDING') return 'not_pending';
    if (await this.channelMismatch(refund, channel, `fail: ${reason}`)) return 'anomaly';
    const won = await this.tx.run(async (m) => {
      await this.payments.lockForRefund(m, refund.paymentNo);
      const ok = await this.repo.cas(m, refundNo, ['PENDING'], 'FAILED', {
        failed_at: new Date(),
        failed_reason: reason.slice(0, 256),
      });
      if (!ok) return false;
      await this.payments.releaseRefund(m, refund.paymentNo, refund.amount);
      if (refund.walletDebit > 0) {
        await this.orders.creditBack(m, {
          userId: refund.userId,
          amount: refund.walletDebit,
          refundNo,
          channel: refund.channel,
        });
      }
      const event: RefundFailedEvent = {
        refundNo,
        paymentNo: refund.paymentNo,
        orderNo: refund.orderNo,
        userId: refund.userId,
        channel: refund.channel,
        amount: refund.amount,
        reason: reason.slice(0, 256),
        failedAt: new Date().toISOString(),
      };
      await this.outbox.add(m, TOPICS.REFUND_FAILED, refundNo, event);
      // an automatic refund refused: its anomaly stays OPEN and says why (a person decides)
      if (LATE_REFUND_NO_PATTERN.test(refundNo)) await this.anomalies.noteRefundFailed(m, refundNo, reason);
      return true;
    });
    if (won) this.logger.warn(`refund ${refundNo} FAILED: ${reason}`);
    return won ? 'failed' : 'not_pending';
  }

  /** THE channel rule of refunds: only the refund's own channel's news changes it (anomaly once). */
  private async channelMismatch(refund: Refund, channel: PaymentChannel, source: string): Promise<boolean> {
    if (channel === refund.channel) return false;
    this.logger.error(
      `refund ${refund.refundNo} (${refund.channel}): news from ${channel} (${source}) ignored`,
    );
    await this.payments.recordAnomaly(
      null,
      refund.paymentNo,
      'REFUND_CHANNEL_MISMATCH',
      { refundNo: refund.refundNo, source, channel: refund.channel, reportedChannel: channel },
      { once: true },
    );
    return true;
  }
}
