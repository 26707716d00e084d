import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { QUEUES } from '../common/queue/queue.constants';
import { EXPIRE_JOB, ExpireJobData } from './order-expiry.scheduler';
import { OrderService } from './order.service';

/**
 * Consumes `order-expiry`: cancels the order if it is still CREATED and due (CAS, stock released).
 * Idempotent: a re-delivered or late job finds the order already moved and does nothing.
 */
@Processor(QUEUES.ORDER_EXPIRY)
export class OrderExpiryProcessor {
  private readonly logger = new Logger(OrderExpiryProcessor.name);

  constructor(private readonly orders: OrderService) {}

  @Process(EXPIRE_JOB)
  async expire(job: Job<ExpireJobData>): Promise<{ cancelled: boolean }> {
    const orderNo = job.data?.orderNo;
    if (typeof orderNo !== 'string') {
      this.logger.warn(`discarding expiry job ${job.id} without an orderNo`);
      return { cancelled: false };
    }
    return { cancelled: await this.orders.expire(orderNo) };
  }
}
