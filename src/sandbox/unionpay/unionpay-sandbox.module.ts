import { Module } from '@nestjs/common';
import { QUEUES } from '../../common/queue/queue.constants';
import { simModule, simNotifyProcessor } from '../core/sim-module';
import { UnionpaySandboxController } from './unionpay-sandbox.controller';
import { UnionpaySandboxKeysService } from './unionpay-sandbox-keys.service';
import { UnionpaySandboxNotifyService } from './unionpay-sandbox-notify.service';
import { UnionpaySandboxService } from './unionpay-sandbox.service';
import { UpSettleJob } from './unionpay-sandbox.types';

/**
 * The UnionPay acp 5.1.0 simulator. Never imported by the product (reached over HTTP at
 * UNIONPAY_GATEWAY_URL, default http://127.0.0.1:$PORT/sandbox/unionpay); reads only the sandbox's own
 * config namespace. Registered only when the sandbox is on.
 */
@Module({})
export class UnionpaySandboxModule {
  static register(raw: Record<string, string | undefined> = process.env) {
    return simModule(UnionpaySandboxModule, raw, {
      queue: QUEUES.SANDBOX_UNIONPAY_NOTIFY,
      controllers: [UnionpaySandboxController],
      providers: [
        UnionpaySandboxKeysService,
        UnionpaySandboxService,
        UnionpaySandboxNotifyService,
        simNotifyProcessor(
          'UnionpaySandboxProcessor',
          QUEUES.SANDBOX_UNIONPAY_NOTIFY,
          UnionpaySandboxNotifyService,
          {
            face: UnionpaySandboxService,
            run: (up, job) => up.settleRefund((job as UpSettleJob).queryId),
          },
        ),
      ],
    });
  }
}
