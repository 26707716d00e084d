import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { QUEUES } from '../common/queue/queue.constants';
import { SandboxEnabledGuard } from './sandbox-enabled.guard';
import { SandboxGatewayController } from './sandbox-gateway.controller';
import { SandboxKeyService } from './sandbox-key.service';
import { SandboxNotifyProcessor } from './sandbox-notify.processor';
import { SandboxNotifyService } from './sandbox-notify.service';
import { SandboxTradeService } from './sandbox-trade.service';
import { SandboxTradesController } from './sandbox-trades.controller';

/**
 * The Alipay-protocol simulator. Nothing imports it: the service reaches it over HTTP only, exactly as
 * it would reach the real gateway. Its routes answer 404 and it generates no keys unless
 * paymentConfig.sandboxEnabled (PAYMENT_GATEWAY=sandbox outside production) — decided when the app is
 * built, because the configuration is read then, not when this file is imported.
 */
@Module({})
export class SandboxModule {
  static register(): DynamicModule {
    return {
      module: SandboxModule,
      imports: [BullModule.registerQueue({ name: QUEUES.SANDBOX_NOTIFY })],
      controllers: [SandboxGatewayController, SandboxTradesController],
      providers: [
        SandboxKeyService,
        SandboxTradeService,
        SandboxNotifyService,
        SandboxNotifyProcessor,
        SandboxEnabledGuard,
      ],
    };
  }
}
