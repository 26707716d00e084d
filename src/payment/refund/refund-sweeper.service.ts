import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { paymentConfig } from '../../config/configuration';
import { RefundRepository } from './refund.repository';
import { RefundSettleService } from './refund-settle.service';

/**
 * The backstop behind the refund-query jobs: every PAYMENT_SWEEP_INTERVAL_MS, refunds still PENDING and
 * untouched for PAYMENT_STUCK_AFTER_MS are queried (a refund whose first gateway call never happened is
 * found NOT_FOUND and called then). Idempotent, so instances may sweep at once.
 */
@Injectable()
export class RefundSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RefundSweeper.name);
  private timer?: NodeJS.Timeout;
  private running = false;
  private cursor = 0;

  constructor(
    private readonly repo: RefundRepository,
    private readonly settle: RefundSettleService,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.cfg.sweepIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over the next page of stuck refunds; returns how many it looked at. */
  async sweep(pageSize = 100, stuckAfterMs = this.cfg.stuckAfterMs): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const stuck = await this.repo.findPendingBefore(
        null,
        new Date(Date.now() - stuckAfterMs),
        pageSize,
        this.cursor,
      );
      this.cursor = stuck.length < pageSize ? 0 : Number(stuck[stuck.length - 1].id);
      for (const r of stuck) {
        await this.settle
          .query(r.refundNo, null)
          .catch((err: Error) => this.logger.warn(`sweep of refund ${r.refundNo}: ${err.message}`));
      }
      return stuck.length;
    } catch (err) {
      this.logger.warn(`refund sweep failed: ${(err as Error).message}`);
      return 0;
    } finally {
      this.running = false;
    }
  }
}
