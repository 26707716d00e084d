import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { paymentConfig } from '../../config/configuration';
import { keyReadable } from '../../config/gateway-keys';

/**
 * Gateway key readiness: with the real gateway, both keys must be configured and readable (production
 * refuses to start otherwise; elsewhere /health says so). The sandbox publishes its own keys.
 */
@Injectable()
export class GatewayHealthIndicator {
  private readonly ready: { privateKey: boolean; publicKey: boolean };

  constructor(
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
    private readonly health: HealthIndicatorService,
  ) {
    this.ready = {
      privateKey: keyReadable('private', cfg.privateKey),
      publicKey: keyReadable('public', cfg.publicKey),
    };
  }

  isHealthy(key = 'gateway') {
    const indicator = this.health.check(key);
    const info = {
      gateway: this.cfg.gateway,
      privateKey: this.ready.privateKey ? 'ready' : this.cfg.sandboxEnabled ? 'sandbox' : 'missing',
      publicKey: this.ready.publicKey ? 'ready' : this.cfg.sandboxEnabled ? 'sandbox' : 'missing',
    };
    const ok = this.cfg.sandboxEnabled || (this.ready.privateKey && this.ready.publicKey);
    return ok ? indicator.up(info) : indicator.down(info);
  }
}
