import { InjectQueue, Process, Processor } from '@nestjs/bull';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { previousCstDate } from '../common/china-time';
import { QUEUES } from '../common/queue/queue.constants';
import { ReconciliationService } from './reconciliation.service';

const DAILY_JOB = 'daily';
/** 03:30 Beijing time, when the previous day's bill is complete. */
const CRON = '30 3 * * *';
const TZ = 'Asia/Shanghai';

/** The bill date (China time) of the day before `at`. */
export const previousBillDate = previousCstDate;

/**
 * Daily reconciliation as a repeatable Bull job: every instance registers the same repeat (Bull
 * keeps one schedule per repeat key), one instance runs each day's job. A run is idempotent, so a
 * repeat delivered twice only reconciles twice.
 */
@Injectable()
@Processor(QUEUES.RECONCILIATION)
export class ReconciliationScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReconciliationScheduler.name);

  constructor(
    @InjectQueue(QUEUES.RECONCILIATION) private readonly queue: Queue,
    private readonly reconciliation: ReconciliationService,
  ) {}

  onApplicationBootstrap(): void {
    // not awaited: with Redis away the app still starts; Bull sends the add once it is back
    this.queue
      .add(DAILY_JOB, {}, { repeat: { cron: CRON, tz: TZ }, jobId: 'reconciliation-daily' })
      .catch((err: Error) => this.logger.warn(`daily reconciliation not scheduled: ${err.message}`));
  }

  @Process(DAILY_JOB)
  async run(job: Job): Promise<{ date: string; mismatches: number }> {
    const date = previousBillDate(new Date(job.timestamp));
    const report = await this.reconciliation.reconcile(date, { trigger: 'scheduled' });
    return { date, mismatches: report.mismatches.length };
  }
}
