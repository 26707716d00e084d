import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { paymentConfig } from '../config/configuration';
import { TransactionService } from '../common/database/transaction.service';
import { OrderCancelHooks, OrderService, PaymentCloseOutcome } from '../order';
import { LockService } from '../idempotency';
import { PAYMENT_GATEWAY, PaymentGateway } from './gateway/payment-gateway';
import { PaymentRepository } from './payment.repository';
import { PaymentSuccessService } from './payment-success.service';

export type ExpireOutcome = 'closed' | 'paid' | 'not_pending' | 'retry';

/**
 * Expiry of a payment: close the trade at the gateway first, then (only then) the payment locally.
 * A trade that turns out to be paid takes the success path; an unknown answer is retried, never
 * taken as "closed".
 */
@Injectable()
export class PaymentCloseService implements OnModuleInit {
  private readonly logger = new Logger(PaymentCloseService.name);

  constructor(
    private readonly tx: TransactionService,
    private readonly repo: PaymentRepository,
    private readonly orders: OrderService,
    private readonly success: PaymentSuccessService,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly cancelHooks: OrderCancelHooks,
    private readonly locks: LockService,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
  ) {}

  onModuleInit(): void {
    this.cancelHooks.registerPayingOrderCloser((orderNo) => this.closeForCancel(orderNo));
  }

  /**
   * A user cancels an order whose payment is in flight: close every pending payment of the order at
   * the gateway, then locally (which gives the order back as CREATED), under the same order lock as
   * pre-pay so no new payment starts meanwhile. A trade found paid takes the success path instead.
   */
  async closeForCancel(orderNo: string): Promise<PaymentCloseOutcome> {
    const ttl = this.cfg.gatewayTimeoutMs * 2 + 5000;
    return this.locks.withLock(
      `lock:order:{${orderNo}}`,
      ttl,
      async () => {
        const pending = await this.repo.findPendingByOrder(null, orderNo);
        if (pending.length === 0) return 'none';
        const outcomes = [];
        for (const p of pending) outcomes.push(await this.expire(p.paymentNo));
        if (outcomes.includes('paid')) return 'paid';
        if (outcomes.includes('retry')) return 'retry';
        return 'closed';
      },
      { waitMs: ttl, renew: true },
    );
  }

  async expire(paymentNo: string): Promise<ExpireOutcome> {
    const p = await this.repo.findByPaymentNo(null, paymentNo);
    if (!p || p.status !== 'PENDING') return 'not_pending';
    const closed = await this.gateway.close(paymentNo);
    switch (closed.status) {
      case 'CLOSED':
      case 'NOT_EXIST':
        await this.closePending(paymentNo, `gateway ${closed.status}`);
        return 'closed';
      case 'ALREADY_PAID': {
        const q = await this.gateway.query(paymentNo);
        if (q.status !== 'PAID') return 'retry';
        await this.success.applySuccess({
          paymentNo,
          channelTradeNo: q.tradeNo,
          amount: q.amount,
          paidAt: q.paidAt,
          source: 'query',
        });
        return 'paid';
      }
      default:
        this.logger.warn(`close of ${paymentNo} unknown (${closed.reason}); will retry`);
        return 'retry';
    }
  }

  /**
   * CAS PENDING → CLOSED and, in the same transaction, give the order back: reopen it (PAYING →
   * CREATED) or, if it expired meanwhile, cancel it (stock released). Call only once the gateway trade
   * is closed (or never existed). True iff this call closed the payment.
   */
  async closePending(paymentNo: string, reason: string): Promise<boolean> {
    const won = await this.tx.run(async (m) => {
      const p = await this.repo.findByPaymentNo(m, paymentNo);
      if (!p) return false;
      if (!(await this.repo.cas(m, paymentNo, ['PENDING'], 'CLOSED', { closed_at: new Date() })))
        return false;
      const order = await this.orders.findByOrderNo(m, p.orderNo);
      if (order?.status === 'PAYING') {
        const others = (await this.repo.findPendingByOrder(m, p.orderNo)).filter(
          (x) => x.paymentNo !== paymentNo,
        );
        if (others.length === 0) {
          if (order.expiresAt.getTime() <= Date.now())
            await this.orders.cancelAfterPaymentClosed(m, p.orderNo);
          else await this.orders.reopen(m, p.orderNo);
        }
      }
      return true;
    });
    if (won) this.logger.log(`payment ${paymentNo} CLOSED (${reason})`);
    return won;
  }
}
