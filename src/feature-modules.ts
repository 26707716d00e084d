import { BenchSupportModule } from './bench-support/bench-support.module';
import { benchRoutesEnabled } from './config/configuration';
import { CallbackModule } from './callback';
import { ConsoleModule } from './console/console.module';
import { EventsModule } from './events/events.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { OrderModule } from './order/order.module';
import { PaymentModule, PayoutModule } from './payment';
import { WalletModule } from './wallet/wallet.module';
import { SandboxModule } from './sandbox/sandbox.module';
import { UnionpaySandboxModule } from './sandbox/unionpay/unionpay-sandbox.module';
import { WechatSandboxModule } from './sandbox/wechat/wechat-sandbox.module';

/**
 * The business modules, in dependency order (callback → payment → order → wallet → idempotency → common).
 * The sandbox gateway registers itself only when PAYMENT_GATEWAY=sandbox (see its module).
 */
export const FEATURE_MODULES = [
  IdempotencyModule,
  WalletModule,
  OrderModule,
  PaymentModule,
  // money out of wallets to Alipay / WeChat accounts (issue 26)
  PayoutModule,
  CallbackModule,
  // events out: reads the outbox, nothing imports it
  EventsModule,
  // the operators' page at /console, over the admin REST API
  ConsoleModule,
  // inert (404, no keys) unless paymentConfig.sandboxEnabled; reached over HTTP only
  SandboxModule.register(),
  WechatSandboxModule.register(),
  UnionpaySandboxModule.register(),
  // bench-only ceiling routes (npm run bench); BENCH_ROUTES=true, never in production
  ...(benchRoutesEnabled() ? [BenchSupportModule.register()] : []),
];
