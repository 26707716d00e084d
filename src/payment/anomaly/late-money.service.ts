import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { isDuplicateKey } from '../../common/database/db-errors';
import { paymentConfig } from '../../config/configuration';
import type { PaidPayment } from '../payment-success.service';
import { PaymentRepository } from '../payment.repository';
import { RefundRepository } from '../refund/refund.repository';
import { RefundSettleService } from '../refund/refund-settle.service';
import { AnomalyRepository } from './anomaly.repository';
import { AUTO_REFUND_BY, LATE_MONEY_KINDS, lateMoneyAction, lateRefundNo, refundsItself } from './late-money';

/**
 * Records the anomaly of a payment that has just succeeded and, for late money (late-money.ts) with
 * AUTO_REFUND on, starts its full refund in the same transaction: the refund row (PENDING, number
 * `RA<paymentNo>`, UNIQUE) and the reservation on the payment, then the anomaly naming it — one commit
 * with the success itself, which the PAYMENT_SUCCEEDED marker makes once per payment. After the commit the
 * caller hands the number to `afterCommit`, which calls the gateway; an answer that does not come is
 * settled by the refund query and the refund sweeper under the same number, never a second refund.
 */
@Injectable()
export class LateMoneyService {
  private readonly logger = new Logger(LateMoneyService.name);

  constructor(
    private readonly anomalies: AnomalyRepository,
    private readonly payments: PaymentRepository,
    private readonly refunds: RefundRepository,
    private readonly settle: RefundSettleService,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
  ) {}

  /**
   * In the success transaction `m`: the anomaly of `kind`, and the automatic refund when the rule says
   * so. `once`: keep only the first report of the kind for the payment.
   *
   * Late money (late-money.ts, action `refund`) is one anomaly per payment, whichever paths find it and
   * in whatever order: under the payment's row lock (the lock the refund's success transaction takes
   * first) an existing late-money anomaly of the payment — of any late-money kind, however it was
   * recorded — is named, never joined by a second; and an anomaly whose refund has SUCCEEDED already is
   * AUTO_REFUNDED here, since that refund's own `markAutoRefunded` ran before the row existed.
   * @returns the refund number to attempt after the commit, or null.
   */
  async recordIn(
    m: EntityManager,
    payment: PaidPayment,
    kind: string,
    detail: Record<string, unknown>,
    opts: { once?: boolean } = {},
  ): Promise<string | null> {
    if (lateMoneyAction(kind) !== 'refund') {
      await this.anomalies.record(m, payment.paymentNo, kind, detail, { once: opts.once });
      return null;
    }
    // every late-money write of this payment waits here for the one before it (held already when the
    // payment's CAS to SUCCESS is in this transaction)
    await this.payments.lockForRefund(m, payment.paymentNo);
    const first = await this.anomalies.findFirstOfKinds(m, payment.paymentNo, LATE_MONEY_KINDS);
    // AUTO_REFUNDED (its refund went back) or RESOLVED (a person settled it): nothing more by itself
    if (first && first.status !== 'OPEN') return null;
    let refundNo: string | null = null;
    if (refundsItself(kind, this.cfg.autoRefund)) refundNo = await this.startRefund(m, payment, kind);
    if (!first) {
      await this.anomalies.record(m, payment.paymentNo, kind, detail, { refundNo: refundNo ?? undefined });
    } else if (refundNo && !first.refundNo) {
      // recorded before this refund existed (AUTO_REFUND was off then): the open row names it now
      await this.anomalies.linkRefund(m, payment.paymentNo, first.kind, refundNo);
    }
    if (!refundNo) return null;
    if (await this.anomalies.markAutoRefundedIfSucceeded(m, refundNo)) return null;
    if (!first)
      this.logger.warn(`payment ${payment.paymentNo}: ${kind}, refunding it in full as ${refundNo}`);
    return refundNo;
  }

  /** After the commit: the first gateway call of the automatic refund (failures: the query settles it). */
  async afterCommit(refundNo: string | null | undefined): Promise<void> {
    if (!refundNo) return;
    await this.settle.attempt(refundNo).catch((err: Error) => {
      this.logger.warn(
        `automatic refund ${refundNo}: first gateway call failed (${err.message}); the query settles it`,
      );
    });
  }

  /**
   * The refund row first, then the reservation. UNIQUE(refund_no) decides: a row that exists already
   * (made by an earlier transaction) is named, never made or reserved again.
   */
  private async startRefund(m: EntityManager, payment: PaidPayment, kind: string): Promise<string | null> {
    const refundNo = lateRefundNo(payment.paymentNo);
    try {
      await this.refunds.insert(m, {
        refundNo,
        paymentNo: payment.paymentNo,
        orderNo: payment.orderNo,
        userId: payment.userId,
        channel: payment.channel,
        amount: payment.amount,
        reason: `late money: ${kind}`,
        restock: false,
        walletDebit: 0, // the order never credited this payment (it could not take it)
        requestedBy: AUTO_REFUND_BY,
        idempotencyKey: null,
        requestFingerprint: null,
      });
    } catch (err) {
      if (isDuplicateKey(err)) return refundNo;
      throw err;
    }
    if (!(await this.payments.reserveRefund(m, payment.paymentNo, payment.amount))) {
      throw new Error(`payment ${payment.paymentNo}: nothing to reserve for its automatic refund`);
    }
    return refundNo;
  }
}
