import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../config/configuration';
import { SimKeyStore } from './core/sim-keys';
import { generatePair, PemPair, publicPemOf, toPkcs8Pem } from './sandbox-crypto';

/** Names of the rows in sandbox_key. The payment side reads the same rows (by SQL) in sandbox mode. */
export const SANDBOX_KEY = { GATEWAY: 'gateway', MERCHANT: 'merchant' } as const;

/**
 * The sandbox's key pairs. `gateway` signs responses and notifies (its public key is what the service
 * verifies with); `merchant` is the app's pair (the sandbox verifies requests with its public key).
 * Generated on first start and stored with INSERT IGNORE then read back, so concurrent instances end up
 * with the same pair. A configured ALIPAY_PRIVATE_KEY always wins for the merchant: its public key is
 * derived from it. The gateway's private key can only come from the table (an operator who wants a fixed
 * pair inserts it there; a configured ALIPAY_PUBLIC_KEY must then be that pair's public key).
 */
@Injectable()
export class SandboxKeyService implements OnModuleInit {
  private gateway?: { privatePem: string; publicPem: string };
  private merchantPublic?: string;

  private readonly store: SimKeyStore;

  constructor(
    ds: DataSource,
    @Inject(sandboxConfig.KEY) private readonly cfg: ConfigType<typeof sandboxConfig>,
  ) {
    this.store = new SimKeyStore(ds, 'sandbox_key');
  }

  async onModuleInit(): Promise<void> {
    if (!this.cfg.enabled) return;
    await this.load();
  }

  async gatewayPrivateKey(): Promise<string> {
    await this.load();
    return this.gateway!.privatePem;
  }

  async merchantPublicKey(): Promise<string> {
    await this.load();
    return this.merchantPublic!;
  }

  private async load(): Promise<void> {
    if (this.gateway && this.merchantPublic) return;
    const gw = await this.ensure(SANDBOX_KEY.GATEWAY);
    if (!gw.privatePem) throw new Error('sandbox_key.gateway has no private key');
    this.gateway = { privatePem: gw.privatePem, publicPem: gw.publicPem };
    const configured = this.cfg.alipay.merchantPrivateKey;
    this.merchantPublic = configured
      ? publicPemOf(toPkcs8Pem(configured))
      : (await this.ensure(SANDBOX_KEY.MERCHANT)).publicPem;
  }

  private async ensure(name: string): Promise<PemPair> {
    const r = await this.store.ensure(name, () => {
      const p = generatePair();
      return { private_pem: p.privatePem, public_pem: p.publicPem };
    });
    return { privatePem: r.private_pem, publicPem: r.public_pem! };
  }
}
