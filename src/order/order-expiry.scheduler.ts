import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { QUEUES } from '../common/queue/queue.constants';

export const EXPIRE_JOB = 'expire';

export interface ExpireJobData {
  orderNo: string;
}

/** How long a submit lets the enqueue take before it stops caring (the add itself carries on). */
const ENQUEUE_PATIENCE_MS = 2000;

/**
 * Schedules the delayed expiry job of an order (queue `order-expiry`, jobId `expire:<orderNo>`, so a
 * repeated add is a no-op). Fire-and-forget on purpose: a submit never fails or waits because Redis
 * is away; the periodic sweep (OrderSweeper) cancels expired orders whose job was never enqueued.
 */
@Injectable()
export class OrderExpiryScheduler {
  private readonly logger = new Logger(OrderExpiryScheduler.name);

  constructor(@InjectQueue(QUEUES.ORDER_EXPIRY) private readonly queue: Queue<ExpireJobData>) {}

  schedule(orderNo: string, delayMs: number): void {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${ENQUEUE_PATIENCE_MS} ms`)),
        ENQUEUE_PATIENCE_MS,
      );
      timer.unref();
    });
    const add = this.queue.add(
      EXPIRE_JOB,
      { orderNo },
      { jobId: `expire:${orderNo}`, delay: Math.max(0, delayMs) },
    );
    add.catch(() => undefined); // the race below reports; never leave a rejection unhandled
    Promise.race([add, timeout])
      .catch((err: Error) =>
        this.logger.warn(
          `expiry job for order ${orderNo} not enqueued (the sweep will expire it): ${err.message}`,
        ),
      )
      .finally(() => clearTimeout(timer));
  }
}
