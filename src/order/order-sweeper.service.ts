import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { orderConfig } from '../config/configuration';
import { OrderRepository } from './order.repository';
import { OrderService } from './order.service';

const BATCH = 200;

/**
 * The safety net under the per-order expiry jobs: every ORDER_SWEEP_INTERVAL_MS, each instance
 * cancels CREATED orders past expires_at (jobs lost with Redis, never enqueued because Redis was
 * down, or orders reopened after their expiry). A plain timer rather than a Bull job on purpose:
 * it must work exactly when Redis does not. Several instances sweeping at once is harmless, as
 * each cancellation is a CAS that only one of them wins; a random start offset spreads them out.
 */
@Injectable()
export class OrderSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OrderSweeper.name);
  private timer?: NodeJS.Timeout;
  private starter?: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  constructor(
    private readonly repo: OrderRepository,
    private readonly orders: OrderService,
    @Inject(orderConfig.KEY) private readonly cfg: ConfigType<typeof orderConfig>,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.cfg.sweepIntervalMs;
    this.starter = setTimeout(
      () => {
        if (this.stopped) return;
        this.timer = setInterval(() => void this.sweep(), every);
        this.timer.unref();
        void this.sweep();
      },
      Math.floor(Math.random() * every),
    );
    this.starter.unref();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.starter);
    clearInterval(this.timer);
  }

  /** One pass; returns how many orders this instance cancelled. Never overlaps itself. */
  async sweep(): Promise<number> {
    if (this.running || this.stopped) return 0;
    this.running = true;
    let cancelled = 0;
    try {
      const due = await this.repo.findExpiredCreated(null, new Date(), BATCH);
      for (const orderNo of due) {
        if (this.stopped) break;
        if (await this.orders.expire(orderNo)) cancelled++;
      }
      if (cancelled) this.logger.log(`sweep cancelled ${cancelled} expired order(s)`);
    } catch (err) {
      this.logger.warn(`order sweep failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
    return cancelled;
  }
}
