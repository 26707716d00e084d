import * as Joi from 'joi';
import { channelEnabled, type EnvFragment } from '../../../config/env-fragment';
import { checkWechatKeys } from './wechat.keys';

/** Every WECHAT_* setting the real gateway needs. */
export const WECHAT_REQUIRED = [
  'WECHAT_MCHID',
  'WECHAT_APPID',
  'WECHAT_MERCHANT_PRIVATE_KEY',
  'WECHAT_MERCHANT_SERIAL',
  'WECHAT_API_V3_KEY',
  'WECHAT_PLATFORM_PUBLIC_KEY',
  'WECHAT_PLATFORM_PUBLIC_KEY_ID',
  'WECHAT_API_BASE_URL',
] as const;

/**
 * The WECHAT_* part of the environment contract (WeChat Pay API v3). Production with the channel enabled
 * needs every setting, and reads its keys at start (wechat.keys.ts): garbage keys would start, answer
 * /health 200, and fail every pre-pay and notify.
 */
export const WECHAT_ENV: EnvFragment = {
  channel: 'wechat',
  defaultInProduction: false,
  schema: {
    WECHAT_MCHID: Joi.string().pattern(/^\d{6,32}$/),
    WECHAT_APPID: Joi.string().pattern(/^[A-Za-z0-9_]{4,32}$/),
    WECHAT_MERCHANT_PRIVATE_KEY: Joi.string().allow(''),
    WECHAT_MERCHANT_SERIAL: Joi.string().pattern(/^[A-Za-z0-9_]{1,64}$/),
    /** The APIv3 key: exactly 32 bytes (decrypts notify resources). */
    WECHAT_API_V3_KEY: Joi.string()
      .allow('')
      .pattern(/^[\x21-\x7e]{32}$/),
    WECHAT_PLATFORM_PUBLIC_KEY: Joi.string().allow(''),
    /** The platform key's id: a "WeChat Pay public key" id (PUB_KEY_ID_…) or a platform certificate serial. */
    WECHAT_PLATFORM_PUBLIC_KEY_ID: Joi.string().pattern(/^[A-Za-z0-9_]{1,64}$/),
    /**
     * A second platform key during a switch (WeChat moves merchants from the platform certificate to the
     * "WeChat Pay public key"): both verify, each chosen by the Wechatpay-Serial it is named by.
     */
    WECHAT_PLATFORM_PUBLIC_KEY_2: Joi.string().allow(''),
    WECHAT_PLATFORM_PUBLIC_KEY_ID_2: Joi.string().pattern(/^[A-Za-z0-9_]{1,64}$/),
    WECHAT_API_BASE_URL: Joi.string().uri({ scheme: ['http', 'https'] }),
    WECHAT_TIMEOUT_MS: Joi.number().integer().min(100).default(5000),
    /** 商家转账 (payouts, issue 26): the transfer_scene_id the merchant registered (1000: 现金营销). */
    WECHAT_TRANSFER_SCENE_ID: Joi.string()
      .pattern(/^\d{1,8}$/)
      .default('1000'),
  },
  check(env) {
    if (env.NODE_ENV === 'production' && channelEnabled(env, 'wechat')) {
      const missing = WECHAT_REQUIRED.find((k) => typeof env[k] !== 'string' || env[k] === '');
      if (missing) {
        return `"${missing}" is required when PAYMENT_CHANNELS includes wechat and NODE_ENV=production`;
      }
      const problem = checkWechatKeys(env).problems[0];
      if (problem) return `"${problem.variable}" ${problem.message}`;
    }
    // a half-configured second platform key is a mistake in any environment
    if (!env.WECHAT_PLATFORM_PUBLIC_KEY_2 !== !env.WECHAT_PLATFORM_PUBLIC_KEY_ID_2) {
      const [set, unset] = env.WECHAT_PLATFORM_PUBLIC_KEY_2
        ? ['WECHAT_PLATFORM_PUBLIC_KEY_2', 'WECHAT_PLATFORM_PUBLIC_KEY_ID_2']
        : ['WECHAT_PLATFORM_PUBLIC_KEY_ID_2', 'WECHAT_PLATFORM_PUBLIC_KEY_2'];
      return `"${unset}" is required when ${set} is set`;
    }
    return undefined;
  },
  callTimeoutMs: (env) => env.WECHAT_TIMEOUT_MS as number,
  keyReport: (env) => ({ keys: checkWechatKeys(env).keys }),
};
