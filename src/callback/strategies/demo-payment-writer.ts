import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Payment } from '../../payment/entities/payment.entity';
import { PaymentSuccessService, SuccessInput } from '../../payment/payment-success.service';

/**
 * DEMONSTRATION ONLY. The raw writes the four demonstration strategies are built from. They touch
 * t_payment directly, which breaks the rule that the payment module alone writes its tables — on
 * purpose: the point is to show each classic pattern's SQL in the open. Production refuses these
 * strategies at boot (CALLBACK_DEDUP_STRATEGY must be unique_key when NODE_ENV=production).
 */
@Injectable()
export class DemoPaymentWriter {
  constructor(private readonly success: PaymentSuccessService) {}

  /** `SELECT status` — optionally `FOR UPDATE`. */
  async readStatus(m: EntityManager, paymentNo: string, forUpdate: boolean): Promise<string | null> {
    const rows: Array<{ status: string }> = await m.query(
      `SELECT status FROM t_payment WHERE payment_no = ?${forUpdate ? ' FOR UPDATE' : ''}`,
      [paymentNo],
    );
    return rows[0]?.status ?? null;
  }

  /**
   * Marks the payment SUCCESS. `onlyIfUnpaid` adds the optimistic guard
   * `AND status IN ('PENDING','CLOSED')`; without it the update is blind (check-then-act).
   * @returns rows changed
   */
  async markSuccess(m: EntityManager, input: SuccessInput, onlyIfUnpaid: boolean): Promise<number> {
    const res = await m.query(
      `UPDATE t_payment SET status = 'SUCCESS', channel_trade_no = ?, paid_at = ?, version = version + 1
        WHERE payment_no = ?${onlyIfUnpaid ? " AND status IN ('PENDING','CLOSED')" : ''}`,
      [input.channelTradeNo, input.paidAt, input.paymentNo],
    );
    return Number(res.affectedRows ?? 0);
  }

  /**
   * What follows the payment's SUCCESS, shared with the real path (PaymentSuccessService.settleOrder:
   * the order paid, the anomaly, the outbox event) and then the journal, in the same transaction.
   */
  async settle(
    m: EntityManager,
    input: SuccessInput,
    payment: Payment,
    journal?: (m: EntityManager) => Promise<void>,
  ): Promise<void> {
    await this.success.settleOrder(m, payment, input, false);
    if (journal) await journal(m);
  }
}
