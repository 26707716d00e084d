import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { QUEUES } from '../common/queue/queue.constants';
import { SimNotifyJob } from './core/sim-notifier';
import { SandboxNotifyService } from './sandbox-notify.service';

/** Delivers sandbox notifies; concurrency lets `duplicate` copies and many trades go out together. */
@Processor(QUEUES.SANDBOX_NOTIFY)
export class SandboxNotifyProcessor {
  constructor(private readonly notify: SandboxNotifyService) {}

  @Process({ concurrency: 16 })
  async handle(job: Job<SimNotifyJob>): Promise<void> {
    await this.notify.core.deliver(job.data);
  }
}
