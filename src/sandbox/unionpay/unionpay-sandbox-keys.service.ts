import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { sandboxConfig } from '../../config/configuration';
import { SimKeys } from '../core/sim-keys';
import { decimalSerial, IssuedCert, issue, issueTestPki } from './unionpay-sandbox-crypto';

/** The sandbox's merchant record: the merchant number it knows (the UnionPay demo merId). */
export const SANDBOX_UNIONPAY_MER_ID = '777290058110048';

export interface UpSandboxKeys {
  root: IssuedCert;
  middle: IssuedCert;
  gateway: IssuedCert;
  merchant: IssuedCert & { merId: string; certId: string };
  /** A signing certificate already expired (the `expired_cert` fault), issued by the same intermediate. */
  expired: IssuedCert;
}

/**
 * The UnionPay sandbox's PKI and merchant record, generated on first start and stored with INSERT IGNORE
 * then read back (concurrent instances end with the same set). It publishes root, middle and the
 * merchant's key and certificate in sandbox_unionpay_key, where the service reads them in sandbox mode, as
 * a merchant downloads them from UnionPay's portal.
 */
@Injectable()
export class UnionpaySandboxKeysService extends SimKeys<UpSandboxKeys> {
  private readonly logger = new Logger(UnionpaySandboxKeysService.name);

  constructor(ds: DataSource, @Inject(sandboxConfig.KEY) cfg: ConfigType<typeof sandboxConfig>) {
    super(ds, cfg, 'sandbox_unionpay_key');
  }

  protected async load(): Promise<UpSandboxKeys> {
    let rows = await this.store.all();
    if (!rows.has('merchant')) {
      const pki = issueTestPki(SANDBOX_UNIONPAY_MER_ID);
      const expired = issue('CN=041@Zsandbox@00040000:SIGN@00000002,OU=CUPRA', pki.middle, false, 0, true);
      for (const [name, c] of [...Object.entries(pki), ['expired', expired]] as Array<[string, IssuedCert]>) {
        const merId = name === 'merchant' ? SANDBOX_UNIONPAY_MER_ID : null;
        await this.store.insert(name, { private_pem: c.privatePem, cert_pem: c.certPem, mer_id: merId });
      }
      rows = await this.store.all();
      this.logger.log('UnionPay sandbox PKI ready');
    }
    const at = (n: string): IssuedCert => {
      const r = rows.get(n);
      if (!r) throw new Error(`sandbox_unionpay_key.${n} missing`);
      return { privatePem: r.private_pem ?? '', certPem: r.cert_pem ?? '' };
    };
    const merchant = at('merchant');
    return {
      root: at('root'),
      middle: at('middle'),
      gateway: at('gateway'),
      expired: at('expired'),
      merchant: {
        ...merchant,
        merId: rows.get('merchant')!.mer_id ?? SANDBOX_UNIONPAY_MER_ID,
        certId: decimalSerial(merchant.certPem),
      },
    };
  }
}
