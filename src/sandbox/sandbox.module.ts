import { DynamicModule, Module } from '@nestjs/common';
import { QUEUES } from '../common/queue/queue.constants';
import { validateEnv } from '../config/env.validation';
import { SandboxEnabledGuard } from './sandbox-enabled.guard';
import { SandboxGatewayController } from './sandbox-gateway.controller';
import { SandboxKeyService } from './sandbox-key.service';
import { SandboxNotifyProcessor } from './sandbox-notify.processor';
import { SandboxNotifyService } from './sandbox-notify.service';
import { SandboxRefundService } from './sandbox-refund.service';
import { SandboxTradeService } from './sandbox-trade.service';
import { SandboxTradesController } from './sandbox-trades.controller';
import { registerQueues } from '../common/queue/queue.register';
import { SandboxPayoutsModule } from './payouts/sandbox-payouts.module';

/**
 * Whether the sandbox is on for an environment: PAYMENT_GATEWAY=sandbox outside production. An invalid
 * environment counts as off (main.ts reports it properly).
 */
export function sandboxEnabledIn(raw: Record<string, string | undefined> = process.env): boolean {
  try {
    const e = validateEnv(raw);
    return e.PAYMENT_GATEWAY === 'sandbox' && e.NODE_ENV !== 'production';
  } catch {
    return false;
  }
}

/**
 * The Alipay-protocol simulator. Nothing imports it: the service reaches it over HTTP only, exactly as
 * it would reach the real gateway.
 *
 * Two switches, because the module list is fixed when feature-modules.ts is imported, before a test
 * (or a .env file) has put its environment in place: `register()` returns an empty module when the
 * environment at import time says the sandbox is off (production never gets its routes, queue or
 * processor), and SandboxEnabledGuard re-checks paymentConfig.sandboxEnabled, as read when the app is
 * built, on every request (404 when off); the key service generates nothing when off.
 */
@Module({})
export class SandboxModule {
  static register(raw: Record<string, string | undefined> = process.env): DynamicModule {
    if (!sandboxEnabledIn(raw)) return { module: SandboxModule };
    return {
      module: SandboxModule,
      imports: [registerQueues(QUEUES.SANDBOX_NOTIFY), SandboxPayoutsModule.register(raw)],
      controllers: [SandboxGatewayController, SandboxTradesController],
      providers: [
        SandboxKeyService,
        SandboxTradeService,
        SandboxRefundService,
        SandboxNotifyService,
        SandboxNotifyProcessor,
        SandboxEnabledGuard,
      ],
    };
  }
}
