import { Process, Processor } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Job } from 'bull';
import { QUEUES } from '../../common/queue/queue.constants';
import { payoutConfig } from '../../config/configuration';
import { PayoutRepository } from './payout.repository';
import { PayoutJob, PayoutSettleService } from './payout-settle.service';

/** The payout queue: transfer calls (`payout-send:<no>`) and transfer queries (`payout-query:<no>:<n>`). */
@Processor(QUEUES.PAYOUT)
export class PayoutProcessor {
  constructor(private readonly settle: PayoutSettleService) {}

  @Process({ concurrency: 4 })
  async handle(job: Job<PayoutJob>): Promise<string> {
    const d = job.data;
    if (d.kind === 'send') {
      await this.settle.send(d.payoutNo);
      return 'sent';
    }
    return (await this.settle.query(d.payoutNo, d.n)) ? 'pending' : 'settled';
  }
}

/**
 * The backstop behind the jobs: every PAYOUT_SWEEP_INTERVAL_MS, payouts PENDING and untouched for
 * PAYOUT_STUCK_AFTER_MS are queried (one whose transfer call never happened — Redis was down — is found
 * NOT_FOUND and sent then, under its number). A plain timer, so it works while Redis is away; idempotent,
 * so instances may sweep at once.
 */
@Injectable()
export class PayoutSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PayoutSweeper.name);
  private timer?: NodeJS.Timeout;
  private running = false;
  private cursor = 0;

  constructor(
    private readonly repo: PayoutRepository,
    private readonly settle: PayoutSettleService,
    @Inject(payoutConfig.KEY) private readonly cfg: ConfigType<typeof payoutConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.cfg.sweepIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over the next page of stuck payouts; returns how many it looked at. */
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
      this.cursor = stuck.length < pageSize ? 0 : stuck[stuck.length - 1].id;
      for (const p of stuck) {
        await this.settle
          .query(p.payoutNo, null, 'sweeper')
          .catch((err: Error) => this.logger.warn(`sweep of payout ${p.payoutNo}: ${err.message}`));
      }
      return stuck.length;
    } catch (err) {
      this.logger.warn(`payout sweep failed: ${(err as Error).message}`);
      return 0;
    } finally {
      this.running = false;
    }
  }
}
