import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { AlipaySdkConfig } from 'alipay-sdk';
import { alipayConfig } from './alipay.config';
import { certPublicKey } from './alipay.certs';
import {
  normalizePrivateKey as normalizePrivate,
  normalizePublicKey as normalizePublic,
} from './alipay.keys';
import { SandboxKeysRepository } from '../../gateway/sandbox-keys.repository';

export interface GatewayKeys {
  /** The merchant's private key, PKCS8 PEM (signs requests). */
  privateKey: string;
  /** The gateway's public key, SPKI PEM (verifies responses and notifies); in certificate mode the Alipay cert's. */
  alipayPublicKey: string;
  /** Certificate mode only: the app certificate, Alipay's public certificate and the root chain, PEM. */
  certs?: { appCert: string; alipayPublicCert: string; alipayRootCert: string };
}

/** Where each certificate comes from: its setting, and the sandbox's row that stands in for it. */
const CERTS = [
  ['appCert', 'app_cert', 'ALIPAY_APP_CERT'],
  ['alipayPublicCert', 'alipay_cert', 'ALIPAY_PUBLIC_CERT'],
  ['alipayRootCert', 'root_cert', 'ALIPAY_ROOT_CERT'],
] as const;

/**
 * Where the gateway clients get their keys. Configured keys (ALIPAY_PRIVATE_KEY, ALIPAY_PUBLIC_KEY, and in
 * certificate mode ALIPAY_APP_CERT / ALIPAY_PUBLIC_CERT / ALIPAY_ROOT_CERT) always win. In sandbox mode the
 * missing ones are read from the sandbox's key table (SandboxKeysRepository) — the sandbox module is never
 * imported; it publishes its keys and certificates where the real gateway's console would show them.
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
      : await this.fromSandbox('merchant', 'private_pem', 'ALIPAY_PRIVATE_KEY');
    if (this.cfg.certMode) {
      const certs = {} as NonNullable<GatewayKeys['certs']>;
      for (const [field, row, setting] of CERTS) {
        certs[field] = this.cfg[field] ?? (await this.fromSandbox(row, 'cert_pem', setting));
      }
      // the key that verifies answers and notifies is the one in Alipay's public certificate
      this.cached = { privateKey, alipayPublicKey: certPublicKey(certs.alipayPublicCert), certs };
      return this.cached;
    }
    const alipayPublicKey = this.cfg.publicKey
      ? normalizePublic(this.cfg.publicKey)
      : await this.fromSandbox('gateway', 'public_pem', 'ALIPAY_PUBLIC_KEY');
    this.cached = { privateKey, alipayPublicKey };
    return this.cached;
  }

  private async fromSandbox(
    name: string,
    column: 'private_pem' | 'public_pem' | 'cert_pem',
    setting: string,
  ): Promise<string> {
    if (!this.cfg.sandboxEnabled) throw new Error(`${setting} is not configured`);
    const pem = await this.sandboxKeys.findAlipayPem(null, name, column);
    if (!pem) throw new Error(`sandbox key '${name}' not generated yet`);
    return pem.trim();
  }
}

/**
 * The alipay-sdk settings of every Alipay client (payments and refunds: alipay.gateway.ts; transfers:
 * alipay-transfer.ts). In certificate mode the SDK is given the three certificates: it computes
 * app_cert_sn and alipay_root_cert_sn and adds them to every request, and verifies answers and notifies
 * with the key of Alipay's public certificate.
 */
export function alipaySdkConfig(
  cfg: Pick<ConfigType<typeof alipayConfig>, 'appId' | 'gatewayUrl' | 'timeoutMs'>,
  keys: GatewayKeys,
): AlipaySdkConfig {
  return {
    appId: cfg.appId,
    privateKey: keys.privateKey,
    gateway: cfg.gatewayUrl,
    timeout: cfg.timeoutMs,
    keyType: 'PKCS8',
    signType: 'RSA2',
    camelcase: true,
    ...(keys.certs
      ? {
          appCertContent: keys.certs.appCert,
          alipayPublicCertContent: keys.certs.alipayPublicCert,
          alipayRootCertContent: keys.certs.alipayRootCert,
        }
      : { alipayPublicKey: keys.alipayPublicKey }),
  };
}
