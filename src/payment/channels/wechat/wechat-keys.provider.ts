import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { KeyObject } from 'node:crypto';
import { readWechatPlatformKey, readWechatPrivateKey } from './wechat.keys';
import { wechatConfig } from './wechat.config';
import { SandboxKeysRepository, SandboxWechatKeyRow } from '../../gateway/sandbox-keys.repository';

export interface WechatKeys {
  mchid: string;
  appid: string;
  /** Signs our requests (Authorization: WECHATPAY2-SHA256-RSA2048 …); PKCS8 PEM. */
  merchantPrivateKey: string;
  /** The serial of the merchant API certificate, sent as serial_no. */
  merchantSerial: string;
  /** 32 bytes; decrypts notify resources. */
  apiV3Key: string;
  /**
   * Platform key id (PUB_KEY_ID_… or certificate serial) → public key: verifies answers and notifies, the
   * key chosen by their Wechatpay-Serial. Two during a switch (WECHAT_PLATFORM_PUBLIC_KEY_2).
   */
  platformKeys: Record<string, KeyObject>;
}

/**
 * Where the WeChat client gets its keys. Configured WECHAT_* settings always win; in sandbox mode the
 * missing ones are read from the WeChat sandbox's key table (sandbox_wechat_key, SandboxKeysRepository), where the
 * simulator publishes them as the merchant console would. The sandbox module is never imported.
 */
@Injectable()
export class WechatKeysProvider {
  private cached?: WechatKeys;

  constructor(
    private readonly sandboxKeys: SandboxKeysRepository,
    @Inject(wechatConfig.KEY) private readonly cfg: ConfigType<typeof wechatConfig>,
  ) {}

  async get(): Promise<WechatKeys> {
    if (this.cached) return this.cached;
    const c = this.cfg;
    const merchant =
      c.merchantPrivateKey && c.merchantSerial
        ? { private_pem: c.merchantPrivateKey, serial: c.merchantSerial }
        : await this.fromSandbox('merchant', 'WECHAT_MERCHANT_PRIVATE_KEY');
    const platform =
      c.platformPublicKey && c.platformPublicKeyId
        ? { public_pem: c.platformPublicKey, serial: c.platformPublicKeyId }
        : await this.fromSandbox('platform', 'WECHAT_PLATFORM_PUBLIC_KEY');
    const apiV3Key = c.apiV3Key ?? (await this.fromSandbox('apiv3', 'WECHAT_API_V3_KEY')).secret;
    if (!merchant.private_pem || !merchant.serial || !platform.public_pem || !platform.serial || !apiV3Key) {
      throw new Error('WeChat keys incomplete');
    }
    const platformKeys: Record<string, KeyObject> = {
      [platform.serial]: readWechatPlatformKey(platform.public_pem).key,
    };
    if (c.platformPublicKey2 && c.platformPublicKeyId2) {
      platformKeys[c.platformPublicKeyId2] = readWechatPlatformKey(c.platformPublicKey2).key;
    }
    this.cached = {
      mchid: c.mchid,
      appid: c.appid,
      merchantPrivateKey: readWechatPrivateKey(merchant.private_pem).export({
        type: 'pkcs8',
        format: 'pem',
      }) as string,
      merchantSerial: merchant.serial,
      apiV3Key,
      platformKeys,
    };
    return this.cached;
  }

  private async fromSandbox(name: string, setting: string): Promise<SandboxWechatKeyRow> {
    if (!this.cfg.sandboxEnabled) throw new Error(`${setting} is not configured`);
    const row = await this.sandboxKeys.findWechatKey(null, name);
    if (!row) throw new Error(`WeChat sandbox key '${name}' not generated yet`);
    return row;
  }
}
