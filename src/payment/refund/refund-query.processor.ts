import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { QUEUES } from '../../common/queue/queue.constants';
import { RefundQueryJob, RefundSettleService } from './refund-settle.service';

/** Refund queries: settle a PENDING refund from the gateway's refund query (never by guessing). */
@Processor(QUEUES.REFUND_QUERY)
export class RefundQueryProcessor {
  constructor(private readonly settle: RefundSettleService) {}

  @Process({ concurrency: 4 })
  async handle(job: Job<RefundQueryJob>): Promise<string> {
    const pending = await this.settle.query(job.data.refundNo, job.data.n);
    return pending ? 'pending' : 'settled';
  }
}
