import { Module } from '@nestjs/common';
import { QUEUES } from '../common/queue/queue.constants';
import { sandboxEnabledIn, simModule, simNotifyProcessor } from './core/sim-module';
import { SandboxEnabledGuard } from './sandbox-enabled.guard';
import { SandboxGatewayController } from './sandbox-gateway.controller';
import { SandboxKeyService } from './sandbox-key.service';
import { SandboxNotifyService } from './sandbox-notify.service';
import { SandboxRefundService } from './sandbox-refund.service';
import { SandboxTradeService } from './sandbox-trade.service';
import { SandboxTradesController } from './sandbox-trades.controller';
import { SandboxPayoutsModule } from './payouts/sandbox-payouts.module';

export { sandboxEnabledIn };

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
  static register(raw: Record<string, string | undefined> = process.env) {
    return simModule(SandboxModule, raw, {
      queue: QUEUES.SANDBOX_NOTIFY,
      imports: [SandboxPayoutsModule.register(raw)],
      controllers: [SandboxGatewayController, SandboxTradesController],
      providers: [
        SandboxKeyService,
        SandboxTradeService,
        SandboxRefundService,
        SandboxNotifyService,
        simNotifyProcessor('SandboxNotifyProcessor', QUEUES.SANDBOX_NOTIFY, SandboxNotifyService),
        SandboxEnabledGuard,
      ],
    });
  }
}
