import { generateKeyPairSync } from 'node:crypto';

/** A complete real-gateway configuration (fresh RSA keys, explicit URLs), as production must have it. */
export function productionGatewayEnv(): Record<string, string> {
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const gateway = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ALIPAY_PRIVATE_KEY: merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    ALIPAY_PUBLIC_KEY: gateway.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    ALIPAY_GATEWAY_URL: 'https://openapi.alipay.example/gateway.do',
    PUBLIC_BASE_URL: 'https://pay.example',
  };
}
