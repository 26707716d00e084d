import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { paymentConfig } from '../config/configuration';
import { OrderService } from '../order';
import { PAYMENT_GATEWAY, PaymentGateway } from './gateway/payment-gateway';
import { PaymentCloseService } from './payment-close.service';
import { PaymentRepository } from './payment.repository';
import { PaymentSuccessService } from './payment-success.service';

/**
 * The backstop behind the queues: every PAYMENT_SWEEP_INTERVAL_MS, orders stuck in PAYING (read through
 * the order module's service, so no dependency points back at payment) get their PENDING payments
 * queried — or closed, once expired. Every step is idempotent, so instances may sweep at once.
 */
@Injectable()
export class PaymentSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PaymentSweeper.name);
  private timer?: NodeJS.Timeout;
  private running = false;
  /** Keyset cursor: each pass takes the next page of stuck orders, wrapping round at the end. */
  private cursor = 0;

  constructor(
    private readonly orders: OrderService,
    private readonly repo: PaymentRepository,
    private readonly success: PaymentSuccessService,
    private readonly closer: PaymentCloseService,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.cfg.sweepIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over the next page of stuck orders; returns how many payments it looked at. */
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
          await this.settle(p.paymentNo, p.status, p.expiresAt, p.channel).catch((err: Error) =>
            this.logger.warn(`sweep of ${p.paymentNo}: ${err.message}`),
          );
        }
      }
    } catch (err) {
      this.logger.warn(`sweep failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
    return seen;
  }

  private async settle(paymentNo: string, status: string, expiresAt: Date, channel: string): Promise<void> {
    if (status === 'SUCCESS') {
      // paid, but the order is still PAYING: the event is late; push it again (exactly-once on the order side)
      const p = (await this.repo.findByPaymentNo(null, paymentNo))!;
      await this.orders.applyPaymentSucceeded({
        paymentNo,
        orderNo: p.orderNo,
        userId: p.userId,
        channel: p.channel,
        amount: p.amount,
        channelTradeNo: p.channelTradeNo,
        paidAt: (p.paidAt ?? new Date()).toISOString(),
      });
      return;
    }
    if (status !== 'PENDING' || channel !== 'alipay') return;
    if (expiresAt.getTime() <= Date.now()) {
      await this.closer.expire(paymentNo);
      return;
    }
    const q = await this.gateway.query(paymentNo);
    if (q.status === 'PAID') {
      await this.success.applySuccess({
        paymentNo,
        channelTradeNo: q.tradeNo,
        amount: q.amount,
        paidAt: q.paidAt,
        source: 'query',
      });
    }
  }
}
