/**
 * The payment module's face: all that other modules may import of src/payment (eslint.config.mjs
 * refuses any other path into it from src/). Services, types and the channel adapters — never a
 * repository or an entity class to query with: reads go through PaymentFacts, changes through the
 * service that owns them. (src/config and src/common/health may also read the channels' config and key
 * checks, which config assembles; the sandbox imports nothing of the payment module.)
 */
export { PaymentModule } from './payment.module';
export { PayoutModule } from './payout/payout.module';
export { PayoutReconciliationService } from './payout/payout-reconciliation.service';
export type { PayoutMismatch } from './payout/payout-reconciliation.service';
export type { Payment, PaymentChannel, PaymentStatus } from './entities/payment.entity';
export { PaymentSuccessService } from './payment-success.service';
export type {
  SuccessInput,
  SuccessMark,
  SuccessOutcome,
  SuccessResult,
  SuccessSource,
} from './payment-success.service';
export { DemoSuccessMarks } from './demo-success-marks';
export { PaymentCloseService } from './payment-close.service';
export { PaymentQueryLog } from './query-log/payment-query-log';
export type { QueryLogEntry } from './query-log/payment-query-log';
export { RefundApplyService } from './refund/refund-apply.service';
export type { RefundApplyOutcome, RefundFailOutcome, RefundSource } from './refund/refund-apply.service';
export { RefundReconciliationService } from './refund/refund-reconciliation.service';
export { PAYMENT_GATEWAY } from './gateway/payment-gateway';
export type {
  BillRefund,
  BillResult,
  BillTrade,
  PaymentGateway,
  QueryResult,
} from './gateway/payment-gateway';
export { tryYuanToFen } from './money';
export { isPaidStatus } from './channels/alipay/alipay-notify';
export { PaymentFacts } from './payment-facts.service';
export {
  AlipayNotifyAdapter,
  CHANNEL_PLUGINS,
  UnionpayKeysProvider,
  UnionpayNotifyAdapter,
  WechatNotifyAdapter,
} from './channels';
export type {
  ChannelGateway,
  ChannelPlugin,
  PaymentRef,
  RefundRef,
  UnionpayAnswer,
  WechatAnswer,
} from './channels';
export { NOTIFY_ADAPTERS } from './channels/notify-event';
export type {
  NotifyAdapter,
  NotifyLogKeys,
  NotifyRead,
  NotifyVerdict,
  RawNotify,
  VerifiedEvent,
} from './channels/notify-event';
