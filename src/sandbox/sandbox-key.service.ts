import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../config/configuration';
import { SimKeyStore } from './core/sim-keys';
import { generatePair, PemPair, publicPemOf, toPkcs8Pem } from './sandbox-crypto';
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
export class SandboxKeyService implements OnModuleInit {
  private gateway?: { privatePem: string; publicPem: string };
  private merchantPublic?: string;

  private sns?: SandboxCertSns;

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
    // the service reads the certificates from the table at its start: made up front when it may want them
    if (this.cfg.alipay.certs) await this.certSns();
  }

  async gatewayPrivateKey(): Promise<string> {
    await this.load();
    return this.gateway!.privatePem;
  }

  async merchantPublicKey(): Promise<string> {
    await this.load();
    return this.merchantPublic!;
  }

  /** The SNs of the sandbox's certificates (generated on first use). */
  async certSns(): Promise<SandboxCertSns> {
    if (this.sns) return this.sns;
    await this.load();
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
      this.merchantPublic!,
    );
    const alipay = await leaf(
      SANDBOX_KEY.ALIPAY_CERT,
      `C=CN,O=oncepay sandbox Alipay,OU=Alipay,CN=${this.cfg.alipay.appId}`,
      this.gateway!.publicPem,
    );
    this.sns = {
      appCertSn: certSn(app.cert_pem!),
      alipayCertSn: certSn(alipay.cert_pem!),
      alipayRootCertSn: rootCertSn(root.cert_pem!),
    };
    return this.sns;
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
