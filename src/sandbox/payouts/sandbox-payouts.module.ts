import { Module } from '@nestjs/common';
import { simModule } from '../core/sim-module';
import { SandboxEnabledGuard } from '../sandbox-enabled.guard';
import { SandboxKeyService } from '../sandbox-key.service';
import { WechatSandboxKeysService } from '../wechat/wechat-sandbox-keys.service';
import { SandboxAlipayFundService } from './sandbox-alipay-fund.service';
import { SandboxAlipayTransferNotify } from './sandbox-alipay-transfer-notify';
import { SandboxFundBillService } from './sandbox-fund-bill.service';
import { SandboxPayoutsController } from './sandbox-payouts.controller';
import { SandboxTransferService } from './sandbox-transfer.service';
import { SandboxTransferNotifyService } from './sandbox-transfer-notify.service';
import { SandboxWechatTransferNotify } from './sandbox-wechat-transfer-notify';
import { SandboxWechatTransferController } from './sandbox-wechat-transfer.controller';

/**
 * The payout simulator: one transfer core (sandbox_payee, sandbox_transfer) with an Alipay face (the fund
 * methods of gateway.do, which SandboxModule's dispatch hands to SandboxAlipayFundService) and a WeChat
 * face (the transfer-bills routes). Reached over HTTP only; registered only when the sandbox is on. The
 * key services are its own instances over the same sandbox_wechat_key / sandbox_key rows (INSERT IGNORE, read
 * back): the transfer notifies are signed with the same platform / gateway keys as the rest of each face.
 */
@Module({})
export class SandboxPayoutsModule {
  static register(raw: Record<string, string | undefined> = process.env) {
    return simModule(SandboxPayoutsModule, raw, {
      controllers: [SandboxWechatTransferController, SandboxPayoutsController],
      providers: [
        SandboxTransferService,
        SandboxTransferNotifyService,
        SandboxWechatTransferNotify,
        SandboxAlipayTransferNotify,
        SandboxAlipayFundService,
        SandboxFundBillService,
        WechatSandboxKeysService,
        SandboxKeyService,
        SandboxEnabledGuard,
      ],
      exports: [SandboxAlipayFundService, SandboxFundBillService],
    });
  }
}
