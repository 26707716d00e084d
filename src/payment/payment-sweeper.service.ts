import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { orderConfig, paymentConfig } from '../config/configuration';
import { OrderService } from '../order';
import { PAYMENT_GATEWAY, PaymentGateway } from './gateway/payment-gateway';
import { Payment } from './entities/payment.entity';
import { PaymentCloseService } from './payment-close.service';
import { PaymentRepository } from './payment.repository';
import { PaymentSuccessService } from './payment-success.service';
import { PaymentQueryLog } from './query-log/payment-query-log';

/**
 * The backstop behind the queues: every PAYMENT_SWEEP_INTERVAL_MS, orders stuck in PAYING (read through
 * the order module's service, so no dependency points back at payment) get their PENDING payments
 * queried — or closed, once expired — and recently closed payments of reopened (CREATED) orders are
 * queried once more, since a buyer can still pay a closed trade. Every step goes through the one
 * success path or the close and is idempotent, so instances may sweep at once.
 */
@Injectable()
export class PaymentSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PaymentSweeper.name);
  private timer?: NodeJS.Timeout;
  private running = false;
  /** Keyset cursor: each pass takes the next page of stuck orders, wrapping round at the end. */
  private cursor = 0;
  /** The same for the recently closed payments of reopened orders. */
  private closedCursor = 0;

  constructor(
    private readonly orders: OrderService,
    private readonly repo: PaymentRepository,
    private readonly success: PaymentSuccessService,
    private readonly closer: PaymentCloseService,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
    @Inject(orderConfig.KEY) private readonly orderCfg: ConfigType<typeof orderConfig>,
    private readonly queryLog: PaymentQueryLog,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.cfg.sweepIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * One pass: the next page of orders stuck in PAYING, then the next page of recently closed
   * payments whose order was reopened (CREATED) — a buyer may still pay a closed trade, and no query
   * job asks about it any more. Returns how many payments it looked at.
   */
  async sweep(pageSize = 100): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let seen = 0;
    try {
      const stuck = await this.orders.findStuckPaying(this.cfg.stuckAfterMs, pageSize, this.cursor);
      this.cursor = stuck.length < pageSize ? 0 : stuck[stuck.length - 1].id;
      for (const { orderNo } of stuck) {
        for (const p of await this.repo.findByOrder(null, orderNo)) {
          seen++;
          await this.settle(p).catch((err: Error) =>
            this.logger.warn(`sweep of ${p.paymentNo}: ${err.message}`),
          );
        }
      }
      seen += await this.sweepReopened(pageSize);
    } catch (err) {
      this.logger.warn(`sweep failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
    return seen;
  }

  /**
   * Closed gateway payments (Alipay and WeChat; closed within the order lifetime) whose order is CREATED again: asks the
   * gateway, and a trade paid after the close takes the success path (PAID_AFTER_CLOSE).
   */
  private async sweepReopened(pageSize: number): Promise<number> {
    const since = new Date(Date.now() - this.orderCfg.ttlMs);
    const closed = await this.repo.findClosedSince(null, since, pageSize, this.closedCursor);
    this.closedCursor = closed.length < pageSize ? 0 : Number(closed[closed.length - 1].id);
    let seen = 0;
    for (const p of closed) {
      if ((await this.orders.findByOrderNo(null, p.orderNo))?.status !== 'CREATED') continue;
      seen++;
      await this.queryAndApply(p).catch((err: Error) =>
        this.logger.warn(`sweep of closed ${p.paymentNo}: ${err.message}`),
      );
    }
    return seen;
  }

  private async settle(p: Payment): Promise<void> {
    if (p.status === 'SUCCESS') {
      // paid, but the order is still PAYING: only data written before the order was paid in the
      // payment's own transaction can look like this; settle the order side of it now
      await this.success.settleAgain(p, 'sweeper');
      return;
    }
    if (p.status !== 'PENDING' || p.channel === 'wallet') return;
    if (p.expiresAt.getTime() <= Date.now()) {
      await this.closer.expire(p.paymentNo);
      return;
    }
    await this.queryAndApply(p);
  }

  private async queryAndApply(p: Payment): Promise<void> {
    const askedAt = new Date();
    const q = await this.gateway.query(p.paymentNo);
    const logged = { paymentNo: p.paymentNo, channel: p.channel, source: 'sweeper', askedAt } as const;
    const answeredAt = new Date();
    if (q.status !== 'PAID') {
      await this.queryLog.record({ ...logged, answeredAt, answer: q, outcome: 'none' });
      return;
    }
    const outcome = await this.success.applyGatewayPaid(p, q, 'sweeper');
    await this.queryLog.record({ ...logged, answeredAt, answer: q, outcome });
  }
}
