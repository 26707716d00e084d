import { registerAs } from '@nestjs/config';
import { channelEnabled } from '../../../config/env-fragment';
import { validateEnv } from '../../../config/env.validation';
import { alipayCertMode } from './alipay.certs';

/**
 * Alipay (open platform, alipay-sdk). Outside production the sandbox fills in what is not configured:
 * the keys (and, in certificate mode, the certificates) come from the sandbox's key table
 * (payment-keys.provider.ts), the gateway URL is the sandbox's.
 */
export const alipayConfig = registerAs('alipay', () => {
  const e = validateEnv(process.env);
  const port = e.PORT as number;
  const base = (e.PUBLIC_BASE_URL as string | undefined) ?? `http://127.0.0.1:${port}`;
  return {
    enabled: channelEnabled(e, 'alipay'),
    appId: e.ALIPAY_APP_ID as string,
    privateKey: (e.ALIPAY_PRIVATE_KEY as string | undefined) || undefined,
    publicKey: (e.ALIPAY_PUBLIC_KEY as string | undefined) || undefined,
    /** Public-key-certificate mode (alipay.certs.ts): the three certificates, PEM; missing ones from the sandbox. */
    certMode: alipayCertMode(e),
    appCert: (e.ALIPAY_APP_CERT as string | undefined) || undefined,
    alipayPublicCert: (e.ALIPAY_PUBLIC_CERT as string | undefined) || undefined,
    alipayRootCert: (e.ALIPAY_ROOT_CERT as string | undefined) || undefined,
    sellerId: (e.ALIPAY_SELLER_ID as string | undefined) || undefined,
    gatewayUrl:
      (e.ALIPAY_GATEWAY_URL as string | undefined) ?? `http://127.0.0.1:${port}/sandbox/alipay/gateway.do`,
    timeoutMs: e.ALIPAY_TIMEOUT_MS as number,
    notifyUrl: `${base}/v1/callbacks/alipay`,
    sandboxEnabled: e.PAYMENT_GATEWAY === 'sandbox' && e.NODE_ENV !== 'production',
  };
});

export type AlipayConfig = ReturnType<typeof alipayConfig>;
