import { Module } from '@nestjs/common';
import { QUEUES } from '../../common/queue/queue.constants';
import { simModule, simNotifyProcessor } from '../core/sim-module';
import { SandboxEnabledGuard } from '../sandbox-enabled.guard';
import { WechatSandboxApiController } from './wechat-sandbox-api.controller';
import { WechatSandboxKeysService } from './wechat-sandbox-keys.service';
import { WechatSandboxNotifyService, WxSettleJob } from './wechat-sandbox-notify.service';
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
  static register(raw: Record<string, string | undefined> = process.env) {
    return simModule(WechatSandboxModule, raw, {
      queue: QUEUES.SANDBOX_WECHAT_NOTIFY,
      controllers: [WechatSandboxApiController, WechatSandboxTransactionsController],
      providers: [
        WechatSandboxKeysService,
        WechatSandboxService,
        WechatSandboxBillService,
        WechatSandboxNotifyService,
        simNotifyProcessor(
          'WechatSandboxNotifyProcessor',
          QUEUES.SANDBOX_WECHAT_NOTIFY,
          WechatSandboxNotifyService,
          {
            face: WechatSandboxService,
            run: (wx, job) => wx.settleRefund((job as WxSettleJob).outRefundNo),
          },
        ),
        SandboxEnabledGuard,
      ],
    });
  }
}
