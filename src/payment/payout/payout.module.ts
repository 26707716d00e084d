import { Module } from '@nestjs/common';
import { QUEUES } from '../../common/queue/queue.constants';
import { registerQueues } from '../../common/queue/queue.register';
import { IdempotencyModule } from '../../idempotency';
import { WalletModule } from '../../wallet';
import { AnomalyRepository } from '../anomaly/anomaly.repository';
import { AlipayTransferClient } from '../channels/alipay/alipay-transfer';
import { PaymentKeysProvider } from '../channels/alipay/payment-keys.provider';
import { WechatKeysProvider } from '../channels/wechat/wechat-keys.provider';
import { WechatTransferClient } from '../channels/wechat/wechat-transfer';
import { SandboxKeysRepository } from '../gateway/sandbox-keys.repository';
import { AdminPayoutController, PayoutController } from './payout.controller';
import { PayoutNotifyController } from './payout-notify.controller';
import { PayoutRepository } from './payout.repository';
import { PayoutService } from './payout.service';
import { PayoutClients } from './payout-clients';
import { PayoutProcessor, PayoutSweeper } from './payout-jobs';
import { PayoutReconciliationService } from './payout-reconciliation.service';
import { PayoutReviewService } from './payout-review.service';
import { PayoutSettleService } from './payout-settle.service';

/**
 * Payouts (issue 26, docs/payouts.md): money out of a wallet to the user's Alipay or WeChat account.
 * Part of the payment side (it talks to the gateways through the channels' transfer clients) but a module
 * of its own, so it owns t_payout and its queue and touches nothing of pre-pay or refunds; the wallet is
 * reached through WalletService only. The channels' key providers are its own instances (stateless
 * readers of the same configuration and sandbox key rows), and so is the anomaly repository (reconciliation
 * reports payout differences into the one anomaly table).
 */
@Module({
  imports: [IdempotencyModule, WalletModule, registerQueues(QUEUES.PAYOUT)],
  controllers: [PayoutController, AdminPayoutController, PayoutNotifyController],
  providers: [
    SandboxKeysRepository,
    PaymentKeysProvider,
    WechatKeysProvider,
    AlipayTransferClient,
    WechatTransferClient,
    PayoutClients,
    PayoutRepository,
    PayoutSettleService,
    PayoutService,
    PayoutReviewService,
    PayoutProcessor,
    PayoutSweeper,
    AnomalyRepository,
    PayoutReconciliationService,
  ],
  exports: [PayoutService, PayoutSettleService, PayoutReconciliationService],
})
export class PayoutModule {}
