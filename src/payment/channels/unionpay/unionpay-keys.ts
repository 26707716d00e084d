import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { X509Certificate } from 'node:crypto';
import * as forge from 'node-forge';
import { SandboxKeysRepository } from '../../gateway/sandbox-keys.repository';
import { unionpayConfig } from './unionpay.config';
import { AcpSigner, AcpTrust, certIdOf, privateKeyOf } from './unionpay-sign';

export interface UnionpayKeys {
  signer: AcpSigner;
  trust: AcpTrust;
}

/**
 * Where the UnionPay client gets its signing key and the certificates it trusts. Configured UNIONPAY_*
 * settings always win; in sandbox mode the missing ones are read from the UnionPay sandbox's key table
 * (sandbox_unionpay_key), where the simulator publishes them as UnionPay's merchant portal would. The
 * sandbox module is never imported.
 */
@Injectable()
export class UnionpayKeysProvider {
  private cached?: UnionpayKeys;

  constructor(
    private readonly sandboxKeys: SandboxKeysRepository,
    @Inject(unionpayConfig.KEY) private readonly cfg: ConfigType<typeof unionpayConfig>,
  ) {}

  async get(): Promise<UnionpayKeys> {
    if (this.cached) return this.cached;
    const c = this.cfg;
    let signer: AcpSigner;
    if (c.signPfx) signer = readPfx(c.signPfx, c.signPfxPassword);
    else if (c.signKey && c.signCert) {
      signer = { key: privateKeyOf(c.signKey), certId: certIdOf(new X509Certificate(c.signCert)) };
    } else {
      const row = await this.fromSandbox('merchant', 'UNIONPAY_SIGN_PFX');
      if (!row.private_pem) throw new Error("UnionPay sandbox key 'merchant' has no private key");
      signer = { key: privateKeyOf(row.private_pem), certId: certIdOf(new X509Certificate(row.cert_pem)) };
    }
    const root = c.rootCert ?? (await this.fromSandbox('root', 'UNIONPAY_ROOT_CERT')).cert_pem;
    const middle = c.middleCert ?? (await this.fromSandbox('middle', 'UNIONPAY_MIDDLE_CERT')).cert_pem;
    this.cached = {
      signer,
      trust: {
        root: new X509Certificate(root),
        middle: new X509Certificate(middle),
        identities: c.identities,
      },
    };
    return this.cached;
  }

  private async fromSandbox(name: string, setting: string) {
    if (!this.cfg.sandboxEnabled) throw new Error(`${setting} is not configured`);
    const row = await this.sandboxKeys.findUnionpayKey(null, name);
    if (!row) throw new Error(`UnionPay sandbox key '${name}' not generated yet`);
    return row;
  }
}

/**
 * The signing key and certId from UnionPay's PKCS#12 file (base64), with node-forge: Node's crypto cannot
 * read PKCS#12. The first certificate with a matching key bag is the signing certificate.
 */
export function readPfx(base64: string, password: string): AcpSigner {
  const der = forge.util.decode64(base64.replace(/\s+/g, ''));
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), false, password);
  const keyBag =
    p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag]?.[0] ??
    p12.getBags({ bagType: forge.pki.oids.keyBag })[forge.pki.oids.keyBag]?.[0];
  const certBag = p12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag]?.[0];
  if (!keyBag?.key || !certBag?.cert) throw new Error('UNIONPAY_SIGN_PFX holds no key and certificate');
  const keyPem = forge.pki.privateKeyToPem(keyBag.key);
  const cert = new X509Certificate(forge.pki.certificateToPem(certBag.cert));
  return { key: privateKeyOf(keyPem), certId: certIdOf(cert) };
}
