import { IdempotencyModule } from './idempotency/idempotency.module';
import { OrderModule } from './order/order.module';

/**
 * The business modules, in dependency order (callback → payment → order → idempotency → common).
 * The sandbox gateway registers itself only when PAYMENT_GATEWAY=sandbox (see its module).
 */
export const FEATURE_MODULES = [IdempotencyModule, OrderModule];
