import { Process, Processor } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import type { Job } from 'bull';
import { QUEUES } from '../../common/queue/queue.constants';
import { registerQueues } from '../../common/queue/queue.register';
import { sandboxEnabledIn } from '../sandbox.module';
import { UnionpaySandboxController } from './unionpay-sandbox.controller';
import { UnionpaySandboxKeysService } from './unionpay-sandbox-keys.service';
import { UnionpaySandboxNotifyService } from './unionpay-sandbox-notify.service';
import { UnionpaySandboxService } from './unionpay-sandbox.service';
import { UpSandboxJob } from './unionpay-sandbox.types';

/** Delivers the UnionPay sandbox's notifies and settles its refunds. */
@Processor(QUEUES.SANDBOX_UNIONPAY_NOTIFY)
export class UnionpaySandboxProcessor {
  constructor(
    private readonly notify: UnionpaySandboxNotifyService,
    private readonly up: UnionpaySandboxService,
  ) {}

  @Process({ concurrency: 16 })
  async handle(job: Job<UpSandboxJob>): Promise<void> {
    if (job.data.kind === 'settle') await this.up.settleRefund(job.data.queryId);
    else await this.notify.core.deliver(job.data);
  }
}

/**
 * The UnionPay acp 5.1.0 simulator. Never imported by the product (reached over HTTP at
 * UNIONPAY_GATEWAY_URL, default http://127.0.0.1:$PORT/sandbox/unionpay); reads only the sandbox's own
 * config namespace. Registered only when the sandbox is on.
 */
@Module({})
export class UnionpaySandboxModule {
  static register(raw: Record<string, string | undefined> = process.env): DynamicModule {
    if (!sandboxEnabledIn(raw)) return { module: UnionpaySandboxModule };
    return {
      module: UnionpaySandboxModule,
      imports: [registerQueues(QUEUES.SANDBOX_UNIONPAY_NOTIFY)],
      controllers: [UnionpaySandboxController],
      providers: [
        UnionpaySandboxKeysService,
        UnionpaySandboxService,
        UnionpaySandboxNotifyService,
        UnionpaySandboxProcessor,
      ],
    };
  }
}
