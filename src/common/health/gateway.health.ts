import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { paymentConfig } from '../../config/configuration';
import type { KeyState } from '../../config/key-check';
import { alipayConfig } from '../../payment/channels/alipay/alipay.config';
import { checkAlipayKeys } from '../../payment/channels/alipay/alipay.keys';
import { wechatConfig } from '../../payment/channels/wechat/wechat.config';
import { checkWechatKeys } from '../../payment/channels/wechat/wechat.keys';

/**
 * Key readiness of each channel, read once at start with the functions the start check uses
 * (payment/channels/<name>/<name>.keys.ts): Alipay's always, WeChat's when the channel is enabled. Each key is `ready`,
 * `missing`, `invalid` or, while the sandbox publishes its own keys, `sandbox` for what is not configured.
 * Down (503) when a key is missing or invalid (production refuses to start then; elsewhere /health says
 * so). A configured key that is garbage is `invalid` even in sandbox mode: configured keys always win.
 */
@Injectable()
export class GatewayHealthIndicator {
  private readonly channels: Record<string, Record<string, KeyState>>;
  private readonly ok: boolean;

  constructor(
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
    @Inject(alipayConfig.KEY) alipay: ConfigType<typeof alipayConfig>,
    @Inject(wechatConfig.KEY) wechat: ConfigType<typeof wechatConfig>,
    private readonly health: HealthIndicatorService,
  ) {
    const sandbox = (s: KeyState): KeyState => (s === 'missing' && cfg.sandboxEnabled ? 'sandbox' : s);
    const shown = (keys: Record<string, KeyState>) =>
      Object.fromEntries(Object.entries(keys).map(([k, s]) => [k, sandbox(s)]));
    this.channels = {
      alipay: shown(
        checkAlipayKeys({ ALIPAY_PRIVATE_KEY: alipay.privateKey, ALIPAY_PUBLIC_KEY: alipay.publicKey }).keys,
      ),
    };
    if (wechat.enabled) {
      this.channels.wechat = shown(
        checkWechatKeys({
          WECHAT_MERCHANT_PRIVATE_KEY: wechat.merchantPrivateKey,
          WECHAT_API_V3_KEY: wechat.apiV3Key,
          WECHAT_PLATFORM_PUBLIC_KEY: wechat.platformPublicKey,
          WECHAT_PLATFORM_PUBLIC_KEY_ID: wechat.platformPublicKeyId,
          WECHAT_PLATFORM_PUBLIC_KEY_2: wechat.platformPublicKey2,
          WECHAT_PLATFORM_PUBLIC_KEY_ID_2: wechat.platformPublicKeyId2,
        }).keys,
      );
    }
    this.ok = Object.values(this.channels).every((keys) =>
      Object.values(keys).every((s) => s === 'ready' || s === 'sandbox'),
    );
  }

  isHealthy(key = 'gateway') {
    const indicator = this.health.check(key);
    const info = { gateway: this.cfg.gateway, ...this.channels };
    return this.ok ? indicator.up(info) : indicator.down(info);
  }
}
