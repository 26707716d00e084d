import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { unionpayConfig } from '../../payment/channels/unionpay/unionpay.config';

/**
 * UnionPay key readiness (`/health` → `unionpay`): with the channel enabled against the real gateway,
 * the signing key (PKCS#12, or PEM key + certificate) and the root and intermediate certificates must be
 * configured (production refuses to start otherwise, and checks them readable; elsewhere /health says
 * so). In sandbox mode the simulator publishes its own. A disabled channel is reported and up.
 */
@Injectable()
export class UnionpayHealthIndicator {
  constructor(
    @Inject(unionpayConfig.KEY) private readonly cfg: ConfigType<typeof unionpayConfig>,
    private readonly health: HealthIndicatorService,
  ) {}

  isHealthy(key = 'unionpay') {
    const c = this.cfg;
    const state = (set: boolean) => (set ? 'ready' : c.sandboxEnabled ? 'sandbox' : 'missing');
    const info = {
      enabled: c.enabled,
      merId: c.merId,
      signKey: state(!!c.signPfx || (!!c.signKey && !!c.signCert)),
      rootCert: state(!!c.rootCert),
      middleCert: state(!!c.middleCert),
    };
    const ok = !c.enabled || [info.signKey, info.rootCert, info.middleCert].every((s) => s !== 'missing');
    const indicator = this.health.check(key);
    return ok ? indicator.up(info) : indicator.down(info);
  }
}
