import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../config/configuration';
import { pairRow, SimKeys } from './core/sim-keys';
import { PemPair, publicPemOf, toPkcs8Pem } from './sandbox-crypto';
import { caKeyPair, certSn, issueCert, rootCertSn, SandboxCertSns } from './sandbox-certs';

/** Names of the rows in sandbox_key. The payment side reads the same rows (by SQL) in sandbox mode. */
export const SANDBOX_KEY = {
  GATEWAY: 'gateway',
  MERCHANT: 'merchant',
  /** certificate mode: the test CA (its key; `cert_pem` the root chain), the app's and Alipay's certificates */
  ROOT_CERT: 'root_cert',
  APP_CERT: 'app_cert',
  ALIPAY_CERT: 'alipay_cert',
} as const;

/**
 * The sandbox's key pairs. `gateway` signs responses and notifies (its public key is what the service
 * verifies with); `merchant` is the app's pair (the sandbox verifies requests with its public key).
 * Generated on first start and stored with INSERT IGNORE then read back, so concurrent instances end up
 * with the same pair. A configured ALIPAY_PRIVATE_KEY always wins for the merchant: its public key is
 * derived from it. The gateway's private key can only come from the table (an operator who wants a fixed
 * pair inserts it there; a configured ALIPAY_PUBLIC_KEY must then be that pair's public key).
 *
 * Certificate mode: a test CA (`root_cert`; its chain holds a second, older RSA root, as Alipay's
 * alipayRootCert.crt holds several) issues the app certificate for the merchant's public key (`app_cert`)
 * and Alipay's public certificate for the gateway key (`alipay_cert`), stored the same way (cert_pem).
 */
@Injectable()
export class SandboxKeyService extends SimKeys<{ gateway: PemPair; merchantPublic: string }> {
  private sns?: SandboxCertSns;

  constructor(ds: DataSource, @Inject(sandboxConfig.KEY) cfg: ConfigType<typeof sandboxConfig>) {
    super(ds, cfg, 'sandbox_key');
  }

  async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    // the service reads the certificates from the table at its start: made up front when it may want them
    if (this.cfg.enabled && this.cfg.alipay.certs) await this.certSns();
  }

  async gatewayPrivateKey(): Promise<string> {
    return (await this.get()).gateway.privatePem!;
  }

  async merchantPublicKey(): Promise<string> {
    return (await this.get()).merchantPublic;
  }

  /** The SNs of the sandbox's certificates (generated on first use). */
  async certSns(): Promise<SandboxCertSns> {
    if (this.sns) return this.sns;
    const { gateway, merchantPublic } = await this.get();
    const root = await this.store.ensure(SANDBOX_KEY.ROOT_CERT, () => {
      const r1 = caKeyPair();
      const r0 = caKeyPair();
      const subject = (cn: string) => `C=CN,O=oncepay sandbox,OU=Certification Authority,CN=${cn}`;
      const chain = [
        issueCert({
          subject: subject('oncepay sandbox Alipay Root R1'),
          publicPem: r1.publicPem,
          issuer: { certPem: null, privatePem: r1.privatePem },
          ca: true,
          days: 3650,
        }),
        issueCert({
          subject: subject('oncepay sandbox Alipay Root R0'),
          publicPem: r0.publicPem,
          issuer: { certPem: null, privatePem: r0.privatePem },
          ca: true,
          days: 3650,
        }),
      ];
      return { private_pem: r1.privatePem, public_pem: r1.publicPem, cert_pem: chain.join('') };
    });
    // the chain's first certificate (R1, whose key the row keeps) issues the leaves
    const ca = { certPem: root.cert_pem!, privatePem: root.private_pem! };
    const leaf = (name: string, subject: string, publicPem: string) =>
      this.store.ensure(name, () => ({
        private_pem: null,
        public_pem: publicPem,
        cert_pem: issueCert({ subject, publicPem, issuer: ca, ca: false, days: 1825 }),
      }));
    const app = await leaf(
      SANDBOX_KEY.APP_CERT,
      `C=CN,O=oncepay sandbox merchant,OU=Alipay,CN=${this.cfg.alipay.appId}`,
      merchantPublic,
    );
    const alipay = await leaf(
      SANDBOX_KEY.ALIPAY_CERT,
      `C=CN,O=oncepay sandbox Alipay,OU=Alipay,CN=${this.cfg.alipay.appId}`,
      gateway.publicPem,
    );
    this.sns = {
      appCertSn: certSn(app.cert_pem!),
      alipayCertSn: certSn(alipay.cert_pem!),
      alipayRootCertSn: rootCertSn(root.cert_pem!),
    };
    return this.sns;
  }

  protected async load(): Promise<{ gateway: PemPair; merchantPublic: string }> {
    const gateway = await this.ensure(SANDBOX_KEY.GATEWAY);
    if (!gateway.privatePem) throw new Error('sandbox_key.gateway has no private key');
    const configured = this.cfg.alipay.merchantPrivateKey;
    const merchantPublic = configured
      ? publicPemOf(toPkcs8Pem(configured))
      : (await this.ensure(SANDBOX_KEY.MERCHANT)).publicPem;
    return { gateway, merchantPublic };
  }

  private async ensure(name: string): Promise<PemPair> {
    const r = await this.store.ensure(name, pairRow);
    return { privatePem: r.private_pem, publicPem: r.public_pem! };
  }
}
