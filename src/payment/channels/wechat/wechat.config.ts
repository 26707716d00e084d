import { registerAs } from '@nestjs/config';
import { channelEnabled } from '../../../config/env-fragment';
import { validateEnv } from '../../../config/env.validation';

/**
 * WeChat Pay API v3. Outside production the sandbox fills in whatever is not configured: mchid/appid get
 * fixed demo values, keys come from the sandbox's key table (wechat-keys.provider.ts).
 */
export const wechatConfig = registerAs('wechat', () => {
  const e = validateEnv(process.env);
  const port = e.PORT as number;
  const base = (e.PUBLIC_BASE_URL as string | undefined) ?? `http://127.0.0.1:${port}`;
  return {
    enabled: channelEnabled(e, 'wechat'),
    mchid: (e.WECHAT_MCHID as string | undefined) ?? '1900000109',
    appid: (e.WECHAT_APPID as string | undefined) ?? 'wxd678efh567hg6787',
    merchantPrivateKey: (e.WECHAT_MERCHANT_PRIVATE_KEY as string | undefined) || undefined,
    merchantSerial: (e.WECHAT_MERCHANT_SERIAL as string | undefined) || undefined,
    apiV3Key: (e.WECHAT_API_V3_KEY as string | undefined) || undefined,
    platformPublicKey: (e.WECHAT_PLATFORM_PUBLIC_KEY as string | undefined) || undefined,
    platformPublicKeyId: (e.WECHAT_PLATFORM_PUBLIC_KEY_ID as string | undefined) || undefined,
    /** A second platform key during a switch (certificate ↔ WeChat Pay public key); both verify. */
    platformPublicKey2: (e.WECHAT_PLATFORM_PUBLIC_KEY_2 as string | undefined) || undefined,
    platformPublicKeyId2: (e.WECHAT_PLATFORM_PUBLIC_KEY_ID_2 as string | undefined) || undefined,
    baseUrl:
      (e.WECHAT_API_BASE_URL as string | undefined) ??
      (e.PAYMENT_GATEWAY === 'sandbox'
        ? `http://127.0.0.1:${port}/sandbox/wechat`
        : 'https://api.mch.weixin.qq.com'),
    timeoutMs: e.WECHAT_TIMEOUT_MS as number,
    /** 商家转账 transfer_scene_id (payouts) */
    transferSceneId: e.WECHAT_TRANSFER_SCENE_ID as string,
    notifyUrl: `${base}/v1/callbacks/wechat`,
    sandboxEnabled: e.PAYMENT_GATEWAY === 'sandbox' && e.NODE_ENV !== 'production',
  };
});

export type WechatConfig = ReturnType<typeof wechatConfig>;
