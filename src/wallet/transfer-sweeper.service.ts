import { Process, Processor } from '@nestjs/bull';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Job } from 'bull';
import { QUEUES } from '../common/queue/queue.constants';
import { walletConfig } from '../config/configuration';
import { EXPIRE_TRANSFER_JOB, ExpireTransferJobData } from './transfer-expiry';
import { TransferRepository } from './transfer.repository';
import { TransferService } from './transfer.service';

const BATCH = 200;

/** Consumes `transfer-expiry`: CAS CREATED → EXPIRED if due. Idempotent (a late job finds it moved). */
@Processor(QUEUES.TRANSFER_EXPIRY)
export class TransferExpiryProcessor {
  private readonly logger = new Logger(TransferExpiryProcessor.name);

  constructor(private readonly transfers: TransferService) {}

  @Process(EXPIRE_TRANSFER_JOB)
  async expire(job: Job<ExpireTransferJobData>): Promise<{ expired: boolean }> {
    const no = job.data?.transferNo;
    if (typeof no !== 'string') {
      this.logger.warn(`discarding transfer expiry job ${job.id} without a transferNo`);
      return { expired: false };
    }
    return { expired: await this.transfers.expire(no) };
  }
}

/**
 * The safety net under the expiry jobs: every TRANSFER_SWEEP_INTERVAL_MS each instance expires CREATED
 * transfers past `expires_at`. A plain timer on purpose (it must work when Redis does not); each
 * expiry is a CAS with one winner, so several instances sweeping at once is harmless.
 */
@Injectable()
export class TransferSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TransferSweeper.name);
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  constructor(
    private readonly repo: TransferRepository,
    private readonly transfers: TransferService,
    @Inject(walletConfig.KEY) private readonly cfg: ConfigType<typeof walletConfig>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), this.cfg.transferSweepIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One pass; returns how many transfers this instance expired. Never overlaps itself. */
  async sweep(): Promise<number> {
    if (this.running || this.stopped) return 0;
    this.running = true;
    let expired = 0;
    try {
      for (const no of await this.repo.findDue(null, new Date(), BATCH)) {
        if (this.stopped) break;
        if (await this.transfers.expire(no)) expired++;
      }
      if (expired) this.logger.log(`sweep expired ${expired} transfer(s)`);
    } catch (err) {
      this.logger.warn(`transfer sweep failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
    return expired;
  }
}
