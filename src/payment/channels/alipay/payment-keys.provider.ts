import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { alipayConfig } from './alipay.config';
import {
  normalizePrivateKey as normalizePrivate,
  normalizePublicKey as normalizePublic,
} from './alipay.keys';
import { SandboxKeysRepository } from '../../gateway/sandbox-keys.repository';

export interface GatewayKeys {
  /** The merchant's private key, PKCS8 PEM (signs requests). */
  privateKey: string;
  /** The gateway's public key, SPKI PEM (verifies responses and notifies). */
  alipayPublicKey: string;
}

/**
 * Where the gateway client gets its keys. Configured keys (ALIPAY_PRIVATE_KEY, ALIPAY_PUBLIC_KEY) always
 * win. In sandbox mode the missing ones are read from the sandbox's key table (SandboxKeysRepository) — the
 * sandbox module is never imported; it publishes its keys where the real gateway's console would show them.
 */
@Injectable()
export class PaymentKeysProvider {
  private cached?: GatewayKeys;

  constructor(
    private readonly sandboxKeys: SandboxKeysRepository,
    @Inject(alipayConfig.KEY) private readonly cfg: ConfigType<typeof alipayConfig>,
  ) {}

  async get(): Promise<GatewayKeys> {
    if (this.cached) return this.cached;
    const privateKey = this.cfg.privateKey
      ? normalizePrivate(this.cfg.privateKey)
      : await this.fromSandbox('merchant', 'private_pem');
    const alipayPublicKey = this.cfg.publicKey
      ? normalizePublic(this.cfg.publicKey)
      : await this.fromSandbox('gateway', 'public_pem');
    this.cached = { privateKey, alipayPublicKey };
    return this.cached;
  }

  private async fromSandbox(name: string, column: 'private_pem' | 'public_pem'): Promise<string> {
    if (!this.cfg.sandboxEnabled) {
      throw new Error(`ALIPAY_${column === 'private_pem' ? 'PRIVATE' : 'PUBLIC'}_KEY is not configured`);
    }
    const pem = await this.sandboxKeys.findAlipayPem(null, name, column);
    if (!pem) throw new Error(`sandbox key '${name}' not generated yet`);
    return pem.trim();
  }
}
