import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { QUEUES } from '../../common/queue/queue.constants';
import { WechatSandboxNotifyService, WxSandboxJob } from './wechat-sandbox-notify.service';
import { WechatSandboxService } from './wechat-sandbox.service';

/** Delivers WeChat sandbox notifies and settles its refunds. */
@Processor(QUEUES.SANDBOX_WECHAT_NOTIFY)
export class WechatSandboxNotifyProcessor {
  constructor(
    private readonly notify: WechatSandboxNotifyService,
    private readonly wx: WechatSandboxService,
  ) {}

  @Process({ concurrency: 16 })
  async handle(job: Job<WxSandboxJob>): Promise<void> {
    if (job.data.kind === 'settle') await this.wx.settleRefund(job.data.outRefundNo);
    else await this.notify.core.deliver(job.data);
  }
}
