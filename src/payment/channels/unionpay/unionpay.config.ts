import { registerAs } from '@nestjs/config';
import { channelEnabled } from '../../../config/env-fragment';
import { validateEnv } from '../../../config/env.validation';
import { UNIONPAY_DEMO_MER_ID } from './unionpay.env';

/** UnionPay's identity in its production signing certificates (the SDK's UNIONPAY_CNNAME). */
export const UNIONPAY_CN = '中国银联股份有限公司';
/** The identity of UnionPay's test-environment signing certificates. */
export const UNIONPAY_TEST_CN = '00040000:SIGN';

/**
 * UnionPay online gateway (acp 5.1.0). Outside production the sandbox fills in what is not configured:
 * the demo merchant number, and keys and certificates from the sandbox's key table (unionpay-keys.ts).
 */
export const unionpayConfig = registerAs('unionpay', () => {
  const e = validateEnv(process.env);
  const port = e.PORT as number;
  const base = (e.PUBLIC_BASE_URL as string | undefined) ?? `http://127.0.0.1:${port}`;
  const s = (k: string) => (e[k] as string | undefined) || undefined;
  const production = e.NODE_ENV === 'production';
  return {
    enabled: channelEnabled(e, 'unionpay'),
    merId: s('UNIONPAY_MER_ID') ?? UNIONPAY_DEMO_MER_ID,
    signKey: s('UNIONPAY_SIGN_KEY'),
    signCert: s('UNIONPAY_SIGN_CERT'),
    signPfx: s('UNIONPAY_SIGN_PFX'),
    signPfxPassword: (e.UNIONPAY_SIGN_PFX_PASSWORD as string | undefined) ?? '',
    rootCert: s('UNIONPAY_ROOT_CERT'),
    middleCert: s('UNIONPAY_MIDDLE_CERT'),
    gatewayUrl: (
      s('UNIONPAY_GATEWAY_URL') ??
      (e.PAYMENT_GATEWAY === 'sandbox'
        ? `http://127.0.0.1:${port}/sandbox/unionpay`
        : 'https://gateway.test.95516.com')
    ).replace(/\/+$/, ''),
    timeoutMs: e.UNIONPAY_TIMEOUT_MS as number,
    identities: (
      s('UNIONPAY_CERT_IDENTITIES') ?? (production ? UNIONPAY_CN : `${UNIONPAY_CN},${UNIONPAY_TEST_CN}`)
    )
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
    notifyUrl: `${base}/v1/callbacks/unionpay`,
    sandboxEnabled: e.PAYMENT_GATEWAY === 'sandbox' && !production,
  };
});

export type UnionpayConfig = ReturnType<typeof unionpayConfig>;
