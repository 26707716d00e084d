import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QUEUES } from '../common/queue/queue.constants';
import { IdempotencyModule } from '../idempotency';
import { OrderModule } from '../order';
import { WalletModule } from '../wallet';
import { PaymentAnomaly } from './entities/payment-anomaly.entity';
import {
  AlipayNotifyAdapter,
  CHANNEL_PROVIDERS,
  UnionpayKeysProvider,
  UnionpayNotifyAdapter,
  WechatNotifyAdapter,
} from './channels';
import { NOTIFY_ADAPTERS } from './channels/notify-event';
import { PaymentFacts } from './payment-facts.service';
import { DemoSuccessMarks } from './demo-success-marks';
import { Payment } from './entities/payment.entity';
import { AlipayGateway } from './channels/alipay/alipay.gateway';
import { ChannelGatewayRouter } from './gateway/channel-gateway.router';
import { PAYMENT_GATEWAY } from './gateway/payment-gateway';
import { PaymentKeysProvider } from './channels/alipay/payment-keys.provider';
import { SandboxKeysRepository } from './gateway/sandbox-keys.repository';
import { WechatGateway } from './channels/wechat/wechat.gateway';
import { WechatKeysProvider } from './channels/wechat/wechat-keys.provider';
import { OrderCancelController } from './order-cancel.controller';
import { PaymentCloseService } from './payment-close.service';
import { PaymentJobs } from './payment-jobs';
import { PaymentExpiryProcessor, PaymentQueryProcessor } from './payment-query.processor';
import { PaymentSuccessService } from './payment-success.service';
import { PaymentSweeper } from './payment-sweeper.service';
import { PaymentController } from './payment.controller';
import { PaymentRepository } from './payment.repository';
import { PrepayService } from './prepay.service';
import { Refund } from './refund/refund.entity';
import { RefundApplyService } from './refund/refund-apply.service';
import { RefundController } from './refund/refund.controller';
import { RefundRequest } from './refund/refund-request.entity';
import { RefundRequestController } from './refund/refund-request.controller';
import { RefundRequestRepository } from './refund/refund-request.repository';
import { RefundRequestService } from './refund/refund-request.service';
import { RefundQueryProcessor } from './refund/refund-query.processor';
import { RefundReconciliationService } from './refund/refund-reconciliation.service';
import { RefundRepository } from './refund/refund.repository';
import { RefundService } from './refund/refund.service';
import { RefundSettleService } from './refund/refund-settle.service';
import { RefundSweeper } from './refund/refund-sweeper.service';
import { registerQueues } from '../common/queue/queue.register';
import { AnomalyController } from './anomaly/anomaly.controller';
import { AnomalyRepository } from './anomaly/anomaly.repository';
import { AnomalyService } from './anomaly/anomaly.service';
import { LateMoneyService } from './anomaly/late-money.service';
import { PaymentQueryLog } from './query-log/payment-query-log';

/**
 * Pre-pay, the gateway client, active query, expiry and close, the order cancel route (it closes the
 * payment first), and the one exactly-once success path that pays the order in the payment's own
 * transaction. Depends on the order module (one way); the callback module depends on this one.
 * Never imports the sandbox.
 */
@Module({
  imports: [
    IdempotencyModule,
    OrderModule,
    WalletModule,
    TypeOrmModule.forFeature([Payment, PaymentAnomaly, Refund, RefundRequest]),
    registerQueues(QUEUES.PAYMENT_QUERY, QUEUES.PAYMENT_EXPIRY, QUEUES.REFUND_QUERY),
  ],
  controllers: [
    PaymentController,
    OrderCancelController,
    RefundController,
    RefundRequestController,
    AnomalyController,
  ],
  providers: [
    PaymentKeysProvider,
    SandboxKeysRepository,
    AlipayGateway,
    ChannelGatewayRouter,
    { provide: PAYMENT_GATEWAY, useExisting: ChannelGatewayRouter },
    WechatKeysProvider,
    WechatGateway,
    ...CHANNEL_PROVIDERS,
    PaymentRepository,
    PaymentFacts,
    DemoSuccessMarks,
    PaymentJobs,
    PaymentSuccessService,
    PaymentCloseService,
    PrepayService,
    PaymentQueryProcessor,
    PaymentExpiryProcessor,
    PaymentSweeper,
    // refunds (issue 12)
    RefundRepository,
    RefundApplyService,
    RefundSettleService,
    RefundService,
    RefundQueryProcessor,
    RefundSweeper,
    RefundReconciliationService,
    RefundRequestRepository,
    RefundRequestService,
    // anomalies and late money (issue 24)
    AnomalyRepository,
    AnomalyService,
    LateMoneyService,
    PaymentQueryLog,
  ],
  // the module's face is src/payment/index.ts: services and adapters, never a repository
  exports: [
    PAYMENT_GATEWAY,
    UnionpayKeysProvider,
    AlipayNotifyAdapter,
    WechatNotifyAdapter,
    UnionpayNotifyAdapter,
    NOTIFY_ADAPTERS,
    PaymentFacts,
    WechatGateway,
    WechatKeysProvider,
    PaymentSuccessService,
    PaymentCloseService,
    PaymentQueryLog,
    DemoSuccessMarks,
    PrepayService,
    RefundApplyService,
    RefundReconciliationService,
  ],
})
export class PaymentModule {}
