import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { QUEUES } from '../common/queue/queue.constants';

export const EXPIRE_TRANSFER_JOB = 'expire';

export interface ExpireTransferJobData {
  transferNo: string;
}

/** How long a create lets the enqueue take before it stops caring (the add itself carries on). */
const ENQUEUE_PATIENCE_MS = 2000;

/**
 * Schedules the delayed expiry job of a transfer (queue `transfer-expiry`, jobId
 * `transfer-expire:<transferNo>`, so a repeated add is a no-op), as OrderExpiryScheduler does for
 * orders: fire-and-forget, a create never fails because Redis is away; TransferSweeper catches up.
 */
@Injectable()
export class TransferExpiryScheduler {
  private readonly logger = new Logger(TransferExpiryScheduler.name);

  constructor(@InjectQueue(QUEUES.TRANSFER_EXPIRY) private readonly queue: Queue<ExpireTransferJobData>) {}

  schedule(transferNo: string, delayMs: number): void {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${ENQUEUE_PATIENCE_MS} ms`)),
        ENQUEUE_PATIENCE_MS,
      );
      timer.unref();
    });
    const add = this.queue.add(
      EXPIRE_TRANSFER_JOB,
      { transferNo },
      { jobId: `transfer-expire:${transferNo}`, delay: Math.max(0, delayMs) },
    );
    add.catch(() => undefined);
    Promise.race([add, timeout])
      .catch((err: Error) =>
        this.logger.warn(
          `expiry job for transfer ${transferNo} not enqueued (the sweep will expire it): ${err.message}`,
        ),
      )
      .finally(() => clearTimeout(timer));
  }
}
