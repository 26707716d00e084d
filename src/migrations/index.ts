import { InitDedup1732350000000 } from './1732350000000-init-dedup';
import { Outbox1732350100000 } from './1732350100000-outbox';
import { Orders1732351000000 } from './1732351000000-orders';
import { Sandbox1732352000000 } from './1732352000000-sandbox';
import { Payments1732352100000 } from './1732352100000-payments';
import { Callbacks1732353000000 } from './1732353000000-callbacks';
import { ExactIdentifiers1733000000000 } from './1733000000000-exact-identifiers';
import { SandboxRefunds1733200000000 } from './1733200000000-sandbox-refunds';
import { RefundExactIdentifiers1733260000000 } from './1733260000000-refund-exact-identifiers';
import { Refunds1733250000000 } from './1733250000000-refunds';
import { WechatSandbox1733300000000 } from './1733300000000-wechat-sandbox';
import { OneSuccessPath1733100000000 } from './1733100000000-one-success-path';
import { RefundRequests1733400000000 } from './1733400000000-refund-requests';
import { UnionpaySandbox1734300000000 } from './1734300000000-unionpay-sandbox';
import { EventTimeWatermark1734640000000 } from './1734640000000-event-time-watermark';
import { EventsOut1734500000000 } from './1734500000000-events-out';
import { Operations1734400000000 } from './1734400000000-operations';
import { Ledger1734200000000 } from './1734200000000-ledger';
import { Transfers1734200100000 } from './1734200100000-transfers';
import { SandboxOneAttemptLog1734710000000 } from './1734710000000-sandbox-one-attempt-log';
import { PaymentQueryLog1734720000000 } from './1734720000000-payment-query-log';
import { Payouts1734730000000 } from './1734730000000-payouts';
import { SandboxPayouts1734730100000 } from './1734730100000-sandbox-payouts';
import { SandboxPayoutNotify1734730200000 } from './1734730200000-sandbox-payout-notify';
import { SandboxAlipayCerts1734730300000 } from './1734730300000-sandbox-alipay-certs';
import { SandboxTransferCalls1734730400000 } from './1734730400000-sandbox-transfer-calls';

/**
 * Every migration, in order. Listed explicitly (no glob) so the app, the TypeORM CLI and Jest load
 * exactly the same set. One migration per change; append, never edit a released one.
 */
export const migrations = [
  InitDedup1732350000000,
  Outbox1732350100000,
  Orders1732351000000,
  Sandbox1732352000000,
  Payments1732352100000,
  Callbacks1732353000000,
  ExactIdentifiers1733000000000,
  SandboxRefunds1733200000000,
  Refunds1733250000000,
  RefundExactIdentifiers1733260000000,
  WechatSandbox1733300000000,
  OneSuccessPath1733100000000,
  RefundRequests1733400000000,
  UnionpaySandbox1734300000000,
  EventsOut1734500000000,
  Operations1734400000000,
  Ledger1734200000000,
  Transfers1734200100000,
  EventTimeWatermark1734640000000,
  SandboxOneAttemptLog1734710000000,
  PaymentQueryLog1734720000000,
  Payouts1734730000000,
  SandboxPayouts1734730100000,
  SandboxPayoutNotify1734730200000,
  SandboxAlipayCerts1734730300000,
  SandboxTransferCalls1734730400000,
];
