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

/** A complete production WeChat configuration (fresh keys; a "WeChat Pay public key" as the platform key). */
export function wechatProductionEnv(): Record<string, string> {
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const platform = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    PAYMENT_CHANNELS: 'alipay,wechat,wallet',
    WECHAT_MCHID: '1900000109',
    WECHAT_APPID: 'wxd678efh567hg6787',
    WECHAT_MERCHANT_PRIVATE_KEY: merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    WECHAT_MERCHANT_SERIAL: '3775B6A45ACD588826D15E583A95F5DD00000001',
    WECHAT_API_V3_KEY: 'k'.repeat(16) + 'K'.repeat(16),
    WECHAT_PLATFORM_PUBLIC_KEY: platform.publicKey.export({ type: 'spki', format: 'pem' }) as string,
    WECHAT_PLATFORM_PUBLIC_KEY_ID: 'PUB_KEY_ID_0119000001092026113000000000000001',
    WECHAT_API_BASE_URL: 'https://api.mch.weixin.example',
  };
}
