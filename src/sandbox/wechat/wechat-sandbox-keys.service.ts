import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../../config/configuration';
import { pairRow, SimKeys } from '../core/sim-keys';

export interface WechatSandboxKeys {
  /** Signs answers and notifies (the "WeChat Pay public key" pair); id PUB_KEY_ID_… */
  platformPrivatePem: string;
  platformPublicPem: string;
  platformKeyId: string;
  /** Verifies merchant requests. */
  merchantPublicPem: string;
  merchantSerial: string;
  /** Encrypts notify resources. */
  apiV3Key: string;
}

/**
 * The WeChat sandbox's keys, in sandbox_wechat_key (rows `platform`, `merchant`, `apiv3`). Generated on
 * first start with INSERT IGNORE then read back, so concurrent instances share one set. Configured
 * WECHAT_MERCHANT_PRIVATE_KEY/SERIAL and WECHAT_API_V3_KEY win (the sandbox derives the merchant's public
 * key); the platform pair always comes from the table. The payment side reads the same rows by SQL
 * (payment/channels/wechat/wechat-keys.provider.ts) — as a merchant would copy them from the console.
 */
@Injectable()
export class WechatSandboxKeysService extends SimKeys<WechatSandboxKeys> {
  constructor(ds: DataSource, @Inject(sandboxConfig.KEY) cfg: ConfigType<typeof sandboxConfig>) {
    super(ds, cfg, 'sandbox_wechat_key');
  }

  protected async load(): Promise<WechatSandboxKeys> {
    const cfg = this.cfg.wechat;
    const platform = await this.store.ensure('platform', () => ({
      ...pairRow(),
      serial: `PUB_KEY_ID_01${cfg.mchid}${randomDigits(16)}`.slice(0, 64),
    }));
    const merchant =
      cfg.merchantPrivateKey && cfg.merchantSerial
        ? {
            public_pem: createPublicKey(createPrivateKey(cfg.merchantPrivateKey.trim())).export({
              type: 'spki',
              format: 'pem',
            }) as string,
            serial: cfg.merchantSerial,
          }
        : await this.store.ensure('merchant', () => ({
            ...pairRow(),
            serial: randomBytes(20).toString('hex').toUpperCase(),
          }));
    const apiV3Key =
      cfg.apiV3Key ??
      (
        await this.store.ensure('apiv3', () => ({
          secret: randomBytes(24).toString('base64').replace(/[+/=]/g, 'x'),
        }))
      ).secret;
    return {
      platformPrivatePem: platform.private_pem!,
      platformPublicPem: platform.public_pem!,
      platformKeyId: platform.serial!,
      merchantPublicPem: merchant.public_pem!,
      merchantSerial: merchant.serial!,
      apiV3Key: apiV3Key!.slice(0, 32),
    };
  }
}

const randomDigits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');
