import { Injectable, Logger } from '@nestjs/common';
import { TransactionService } from '../common/database/transaction.service';
import { isDuplicateKey } from '../common/database/db-errors';
import { PaymentSucceededEvent, TOPICS } from '../common/events/payment-events';
import { OutboxService } from '../common/outbox/outbox.service';
import { DedupService } from '../idempotency';
import { OrderService, wasPaid } from '../order';
import { PaymentRepository } from './payment.repository';

export type SuccessSource = 'callback' | 'query' | 'reconciliation';

export interface SuccessInput {
  paymentNo: string;
  /** The gateway's trade number (Alipay trade_no). */
  channelTradeNo: string;
  /** integer fen, as the gateway reported it */
  amount: number;
  paidAt: Date;
  source: SuccessSource;
}

export type SuccessOutcome = 'applied' | 'duplicate' | 'anomaly';

/** Rolls the success transaction back when the CAS finds nothing to move (marker included). */
class NotApplied {
  constructor(readonly outcome: SuccessOutcome) {}
}

/**
 * THE exactly-once path from "the gateway says paid" to "payment SUCCESS + payment.succeeded event",
 * shared by the callback, the active query and reconciliation. One transaction:
 * marker `t_uq_dipose('PAYMENT_SUCCEEDED', paymentNo)` first (a duplicate key means done), CAS
 * PENDING|CLOSED → SUCCESS, outbox `payment.succeeded`, commit. A wrong amount never pays: it is
 * recorded as an anomaly. The order side learns of it through the outbox; right after the commit a
 * best-effort direct call to OrderService.applyPaymentSucceeded shortens the wait (the order side is
 * exactly-once on its own marker, so the kick and the outbox consumer can both run).
 */
@Injectable()
export class PaymentSuccessService {
  private readonly logger = new Logger(PaymentSuccessService.name);

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: PaymentRepository,
    private readonly dedup: DedupService,
    private readonly outbox: OutboxService,
    private readonly orders: OrderService,
  ) {}

  /**
   * @throws Error when the payment does not exist (a notify for it must be answered `fail`) or the
   *   database fails (nothing was applied; retry).
   */
  async applySuccess(input: SuccessInput): Promise<SuccessOutcome> {
    const payment = await this.repo.findByPaymentNo(null, input.paymentNo);
    if (!payment) throw new Error(`payment ${input.paymentNo} not found`);
    if (payment.status === 'SUCCESS') return 'duplicate';
    if (payment.channel !== 'alipay' || input.amount !== payment.amount) {
      const kind = payment.channel !== 'alipay' ? 'CHANNEL_MISMATCH' : 'AMOUNT_MISMATCH';
      await this.repo.recordAnomalyOnce(input.paymentNo, kind, {
        source: input.source,
        expected: payment.amount,
        reported: input.amount,
        channel: payment.channel,
        channelTradeNo: input.channelTradeNo,
      });
      this.logger.warn(
        `payment ${input.paymentNo}: ${kind} (${input.source} reported ${input.amount}, expected ${payment.amount})`,
      );
      return 'anomaly';
    }
    let event: PaymentSucceededEvent;
    try {
      event = await this.tx.run(async (m) => {
        const res = await this.dedup.runOnce(
          'PAYMENT_SUCCEEDED',
          input.paymentNo,
          async (mm) => {
            const before = (await this.repo.findByPaymentNo(mm, input.paymentNo, true))!;
            const won = await this.repo.cas(mm, input.paymentNo, ['PENDING', 'CLOSED'], 'SUCCESS', {
              channel_trade_no: input.channelTradeNo,
              paid_at: input.paidAt,
            });
            if (!won) throw new NotApplied('duplicate');
            // valid money either way; but the order may no longer take it: paid after our close, or
            // the order was cancelled / paid another way (wallet, an earlier attempt) meanwhile
            const order = await this.orders.findByOrderNo(mm, before.orderNo);
            const kind =
              order && wasPaid(order.status)
                ? 'DUPLICATE_PAYMENT'
                : !order || order.status === 'CANCELLED'
                  ? before.status === 'CLOSED'
                    ? 'PAID_AFTER_CLOSE_UNFULFILLABLE'
                    : 'PAID_ORDER_CANCELLED'
                  : before.status === 'CLOSED'
                    ? 'PAID_AFTER_CLOSE'
                    : null;
            if (kind) {
              await this.repo.recordAnomaly(mm, input.paymentNo, kind, {
                source: input.source,
                orderNo: before.orderNo,
                orderStatus: order?.status ?? null,
                paymentStatusBefore: before.status,
                channelTradeNo: input.channelTradeNo,
              });
            }
            const ev: PaymentSucceededEvent = {
              paymentNo: before.paymentNo,
              orderNo: before.orderNo,
              userId: before.userId,
              channel: before.channel,
              amount: before.amount,
              channelTradeNo: input.channelTradeNo,
              paidAt: input.paidAt.toISOString(),
            };
            await this.outbox.add(mm, TOPICS.PAYMENT_SUCCEEDED, before.paymentNo, ev);
            return ev;
          },
          { manager: m },
        );
        if (res.status === 'duplicate') throw new NotApplied('duplicate');
        return res.result;
      });
    } catch (err) {
      if (err instanceof NotApplied) return err.outcome;
      if (isDuplicateKey(err)) {
        // channel_trade_no already belongs to another payment: never pay twice for one trade
        await this.repo.recordAnomaly(null, input.paymentNo, 'TRADE_NO_REUSED', {
          source: input.source,
          channelTradeNo: input.channelTradeNo,
        });
        return 'anomaly';
      }
      throw err;
    }
    this.logger.log(`payment ${input.paymentNo} SUCCESS via ${input.source}`);
    await this.kickOrder(event);
    return 'applied';
  }

  /** Best effort: the outbox relay delivers the same event; failures here are only logged. */
  private async kickOrder(event: PaymentSucceededEvent): Promise<void> {
    try {
      const r = await this.orders.applyPaymentSucceeded(event);
      if (r.outcome === 'paid_after_cancel') {
        // the anomaly was recorded in the success transaction (or is, by the outbox consumer)
        this.logger.warn(`payment ${event.paymentNo} succeeded but order ${event.orderNo} is cancelled`);
      }
    } catch (err) {
      this.logger.warn(
        `order update for ${event.paymentNo} deferred to the outbox: ${(err as Error).message}`,
      );
    }
  }
}
