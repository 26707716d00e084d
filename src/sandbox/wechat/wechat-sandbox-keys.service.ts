import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../../config/configuration';
import { generatePair } from '../sandbox-crypto';

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
export class WechatSandboxKeysService implements OnModuleInit {
  private readonly logger = new Logger(WechatSandboxKeysService.name);
  private keys?: WechatSandboxKeys;

  constructor(
    private readonly ds: DataSource,
    @Inject(sandboxConfig.KEY) private readonly sandbox: ConfigType<typeof sandboxConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.sandbox.enabled) return;
    await this.get();
  }

  async get(): Promise<WechatSandboxKeys> {
    if (this.keys) return this.keys;
    const cfg = this.sandbox.wechat;
    const platform = await this.ensure('platform', () => ({
      ...pair(),
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
        : await this.ensure('merchant', () => ({
            ...pair(),
            serial: randomBytes(20).toString('hex').toUpperCase(),
          }));
    const apiV3Key =
      cfg.apiV3Key ??
      (
        await this.ensure('apiv3', () => ({
          secret: randomBytes(24).toString('base64').replace(/[+/=]/g, 'x'),
        }))
      ).secret;
    this.keys = {
      platformPrivatePem: platform.private_pem!,
      platformPublicPem: platform.public_pem!,
      platformKeyId: platform.serial!,
      merchantPublicPem: merchant.public_pem!,
      merchantSerial: merchant.serial!,
      apiV3Key: apiV3Key!.slice(0, 32),
    };
    return this.keys;
  }

  private async ensure(name: string, make: () => Row): Promise<Row> {
    const existing = await this.read(name);
    if (existing) return existing;
    const r = make();
    await this.ds.query(
      'INSERT IGNORE INTO sandbox_wechat_key (name, private_pem, public_pem, serial, secret) VALUES (?, ?, ?, ?, ?)',
      [name, r.private_pem ?? null, r.public_pem ?? null, r.serial ?? null, r.secret ?? null],
    );
    const stored = await this.read(name);
    if (!stored) throw new Error(`sandbox_wechat_key.${name} vanished`);
    this.logger.log(`WeChat sandbox key '${name}' ready`);
    return stored;
  }

  private async read(name: string): Promise<Row | null> {
    const rows: Row[] = await this.ds.query(
      'SELECT private_pem, public_pem, serial, secret FROM sandbox_wechat_key WHERE name = ?',
      [name],
    );
    return rows[0] ?? null;
  }
}

interface Row {
  private_pem?: string | null;
  public_pem?: string | null;
  serial?: string | null;
  secret?: string | null;
}

function pair(): Row {
  const p = generatePair();
  return { private_pem: p.privatePem, public_pem: p.publicPem };
}

const randomDigits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');
