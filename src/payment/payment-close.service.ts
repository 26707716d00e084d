import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { paymentConfig } from '../config/configuration';
import { TransactionService } from '../common/database/transaction.service';
import { DomainError, ErrorCode } from '../common/errors';
import { orderLockKey, OrderResponse, OrderService } from '../order';
import { LockService } from '../idempotency';
import type { PaymentChannel } from './entities/payment.entity';
import { PAYMENT_GATEWAY, PaymentGateway } from './gateway/payment-gateway';
import { PaymentRepository } from './payment.repository';
import { PaymentSuccessService } from './payment-success.service';
import { PaymentQueryLog } from './query-log/payment-query-log';

/** What `closePending` came to (see there). */
export type ClosePendingOutcome = 'closed' | 'not_pending' | 'channel_mismatch';

export type ExpireOutcome = 'closed' | 'paid' | 'not_pending' | 'retry';

/**
 * What closing the in-flight payments of an order came to: `closed` (the order is settled: cancelled
 * or given back), `paid` (the gateway had been paid: the success path ran), `none` (nothing pending),
 * `retry` (the gateway's answer was unknown).
 */
export type PaymentCloseOutcome = 'closed' | 'paid' | 'none' | 'retry';

/**
 * Closing payments: at the gateway first, then (only then) locally, with the order settled in the
 * same transaction as the payment's CLOSED (the order module's rule: reopen, or cancel when the user
 * asked or the order expired). A trade that turns out to be paid takes the success path; an unknown
 * answer is retried, never taken as "closed". Also the user's cancel of an order whose payment is
 * in flight: the payment side orchestrates it and calls the order module, never the reverse.
 */
@Injectable()
export class PaymentCloseService {
  private readonly logger = new Logger(PaymentCloseService.name);

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: PaymentRepository,
    private readonly orders: OrderService,
    private readonly success: PaymentSuccessService,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly locks: LockService,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
    private readonly queryLog: PaymentQueryLog,
  ) {}

  /**
   * POST /v1/orders/{orderNo}/cancel. A CREATED order is cancelled by the order module; a PAYING one
   * has its pending payments closed at the gateway, then closed locally together with the order's
   * cancellation (stock released) in one transaction. A trade found paid makes the order PAID, and
   * the cancel is refused.
   * @throws NOT_FOUND, ORDER_NOT_CANCELLABLE (PAID, or the close is unknown: Retry-After).
   */
  async cancelOrder(userId: string, orderNo: string): Promise<OrderResponse> {
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        return await this.orders.cancel(userId, orderNo);
      } catch (err) {
        if (!(err instanceof DomainError) || err.code !== ErrorCode.ORDER_NOT_CANCELLABLE) throw err;
        if (err.details?.status !== 'PAYING') throw err;
      }
      const closed = await this.closeForCancel(orderNo);
      if (closed === 'retry') {
        throw new DomainError(
          ErrorCode.ORDER_NOT_CANCELLABLE,
          'The payment could not be closed at the gateway yet; retry the cancel shortly',
          { orderNo, status: 'PAYING' },
          { 'Retry-After': '5' },
        );
      }
      if (closed === 'none' && (await this.orders.findByOrderNo(null, orderNo))?.status === 'PAYING') {
        // nothing pending yet PAYING: a pre-pay between its two writes, or a close being settled
        throw new DomainError(
          ErrorCode.ORDER_NOT_CANCELLABLE,
          'A payment of this order is in progress; it cannot be cancelled now',
          { orderNo, status: 'PAYING' },
        );
      }
      // closed (CANCELLED now), paid (PAID now) or settled meanwhile: the order module answers
    }
    throw new DomainError(ErrorCode.CONFLICT, 'The order keeps changing; retry', { orderNo });
  }

  /**
   * Closes every pending payment of the order (gateway first) and cancels the order with the last
   * one, under the same order lock as pre-pay so no new payment starts meanwhile.
   */
  async closeForCancel(orderNo: string): Promise<PaymentCloseOutcome> {
    const ttl = this.cfg.gatewayTimeoutMs * 2 + 5000;
    return this.locks.withLock(
      orderLockKey(orderNo),
      ttl,
      async () => {
        const pending = await this.repo.findPendingByOrder(null, orderNo);
        if (pending.length === 0) return 'none';
        const outcomes: ExpireOutcome[] = [];
        for (const p of pending) outcomes.push(await this.expire(p.paymentNo, { cancel: true }));
        if (outcomes.includes('paid')) return 'paid';
        if (outcomes.includes('retry')) return 'retry';
        return 'closed';
      },
      { waitMs: ttl, renew: true },
    );
  }

  /**
   * Closes the payment at the gateway, then locally (`closePending`). `cancel`: the user cancels the
   * order (else the order is reopened, or cancelled if it expired meanwhile).
   */
  async expire(paymentNo: string, opts: { cancel?: boolean } = {}): Promise<ExpireOutcome> {
    const p = await this.repo.findByPaymentNo(null, paymentNo);
    if (!p || p.status !== 'PENDING') return 'not_pending';
    const closed = await this.gateway.close(paymentNo);
    switch (closed.status) {
      case 'CLOSED':
      case 'NOT_EXIST':
        // the router asked this payment's own gateway
        await this.closePending(paymentNo, p.channel, `gateway ${closed.status}`, { cancel: opts.cancel });
        return 'closed';
      case 'ALREADY_PAID': {
        const askedAt = new Date();
        const q = await this.gateway.query(paymentNo);
        const logged = {
          paymentNo,
          channel: p.channel,
          source: 'close',
          askedAt,
          answeredAt: new Date(),
        } as const;
        if (q.status !== 'PAID') {
          await this.queryLog.record({ ...logged, answer: q, outcome: 'ask_again' });
          return 'retry';
        }
        const outcome = await this.success.applyGatewayPaid(p, q, 'query');
        await this.queryLog.record({ ...logged, answer: q, outcome });
        return 'paid';
      }
      default:
        this.logger.warn(`close of ${paymentNo} unknown (${closed.reason}); will retry`);
        return 'retry';
    }
  }

  /**
   * CAS PENDING → CLOSED and, in the same transaction, settle the order
   * (`OrderService.settleAfterPaymentClosed`) and write the caller's journal. Call only once the
   * gateway trade is closed (or never existed).
   * @param channel the channel whose news this is (the notify endpoint's, or the payment's own for its
   *   gateway's close / refusal): only the payment's own channel can close it — an Alipay TRADE_CLOSED
   *   naming a WeChat payment (whose trade stays payable at WeChat) closes nothing, anomaly
   *   CHANNEL_MISMATCH (once).
   * @returns `closed` iff this call closed the payment; `not_pending` when it is not (any more)
   *   PENDING or does not exist; `channel_mismatch`.
   */
  async closePending(
    paymentNo: string,
    channel: PaymentChannel,
    reason: string,
    opts: { cancel?: boolean; journal?: (m: EntityManager) => Promise<void> } = {},
  ): Promise<ClosePendingOutcome> {
    const outcome = await this.tx.run(async (m): Promise<ClosePendingOutcome> => {
      const p = await this.repo.findByPaymentNo(m, paymentNo);
      if (!p) return 'not_pending';
      if (p.channel !== channel) {
        await this.repo.recordAnomaly(
          m,
          paymentNo,
          'CHANNEL_MISMATCH',
          { close: reason, channel: p.channel, reportedChannel: channel },
          { once: true },
        );
        return 'channel_mismatch';
      }
      if (!(await this.repo.cas(m, paymentNo, ['PENDING'], 'CLOSED', { closed_at: new Date() })))
        return 'not_pending';
      const othersPending = (await this.repo.findPendingByOrder(m, p.orderNo)).length > 0;
      await this.orders.settleAfterPaymentClosed(m, p.orderNo, { othersPending, cancel: !!opts.cancel });
      if (opts.journal) await opts.journal(m);
      return 'closed';
    });
    if (outcome === 'closed') this.logger.log(`payment ${paymentNo} CLOSED (${reason})`);
    if (outcome === 'channel_mismatch')
      this.logger.error(
        `payment ${paymentNo}: a close from ${channel} (${reason}) ignored, CHANNEL_MISMATCH`,
      );
    return outcome;
  }
}
