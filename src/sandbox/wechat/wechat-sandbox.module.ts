import { DynamicModule, Module } from '@nestjs/common';
import { QUEUES } from '../../common/queue/queue.constants';
import { registerQueues } from '../../common/queue/queue.register';
import { sandboxEnabledIn } from '../sandbox.module';
import { SandboxEnabledGuard } from '../sandbox-enabled.guard';
import { WechatSandboxApiController } from './wechat-sandbox-api.controller';
import { WechatSandboxKeysService } from './wechat-sandbox-keys.service';
import { WechatSandboxNotifyProcessor } from './wechat-sandbox-notify.processor';
import { WechatSandboxNotifyService } from './wechat-sandbox-notify.service';
import { WechatSandboxBillService } from './wechat-sandbox-bill.service';
import { WechatSandboxService } from './wechat-sandbox.service';
import { WechatSandboxTransactionsController } from './wechat-sandbox-transactions.controller';

/**
 * The WeChat Pay v3 simulator (Native pay, query, close, refunds, bills, signed + encrypted notifies with
 * WeChat's retry schedule and fault modes). Like the Alipay one it is never imported by the product: the
 * service reaches it over HTTP at WECHAT_API_BASE_URL (default http://127.0.0.1:$PORT/sandbox/wechat).
 * Registered only when the sandbox is on (PAYMENT_GATEWAY=sandbox outside production).
 */
@Module({})
export class WechatSandboxModule {
  static register(raw: Record<string, string | undefined> = process.env): DynamicModule {
    if (!sandboxEnabledIn(raw)) return { module: WechatSandboxModule };
    return {
      module: WechatSandboxModule,
      imports: [registerQueues(QUEUES.SANDBOX_WECHAT_NOTIFY)],
      controllers: [WechatSandboxApiController, WechatSandboxTransactionsController],
      providers: [
        WechatSandboxKeysService,
        WechatSandboxService,
        WechatSandboxBillService,
        WechatSandboxNotifyService,
        WechatSandboxNotifyProcessor,
        SandboxEnabledGuard,
      ],
    };
  }
}
