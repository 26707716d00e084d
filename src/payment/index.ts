/**
 * The payment module's face: what other modules (callback, bench-support) may use. Services, types and
 * the channel adapters; never an entity's table writes.
 *
 * Transitional (issue 23, not finished): the callback module's older notify services and reconciliation
 * still read PaymentRepository, RefundRepository and AnomalyRepository directly, so the face exports them
 * for now; NotifyPipeline and the UnionPay route import only from here. Turning those reads into
 * purpose-named service methods, and removing the repositories from this list, is the next step.
 */
export { PaymentModule } from './payment.module';
export type { Payment, PaymentChannel, PaymentStatus } from './entities/payment.entity';
export { PaymentSuccessService } from './payment-success.service';
export type { SuccessInput, SuccessOutcome, SuccessResult, SuccessSource } from './payment-success.service';
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
// transitional, see above
export { PaymentRepository } from './payment.repository';
export { RefundRepository } from './refund/refund.repository';
