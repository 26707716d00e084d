import * as Joi from 'joi';
import type { EnvFragment } from '../../../config/env-fragment';
import { checkAlipayKeys } from './alipay.keys';

/**
 * The ALIPAY_* part of the environment contract. Alipay is the real gateway PAYMENT_GATEWAY=alipay
 * talks to; production with it refuses to start half-configured: it would start, answer /health 200,
 * and fail every pre-pay and callback.
 */
export const ALIPAY_ENV: EnvFragment = {
  channel: 'alipay',
  defaultInProduction: true,
  schema: {
    ALIPAY_APP_ID: Joi.string().default('2021000000000001'),
    ALIPAY_PRIVATE_KEY: Joi.string().allow(''),
    ALIPAY_PUBLIC_KEY: Joi.string().allow(''),
    ALIPAY_GATEWAY_URL: Joi.string().uri({ scheme: ['http', 'https'] }),
    ALIPAY_SELLER_ID: Joi.string().allow(''),
    ALIPAY_TIMEOUT_MS: Joi.number().integer().min(100).default(5000),
  },
  check(env) {
    if (env.NODE_ENV !== 'production' || env.PAYMENT_GATEWAY !== 'alipay') return undefined;
    const need = 'is required when NODE_ENV=production and PAYMENT_GATEWAY=alipay';
    for (const name of ['ALIPAY_PRIVATE_KEY', 'ALIPAY_PUBLIC_KEY', 'ALIPAY_GATEWAY_URL', 'PUBLIC_BASE_URL']) {
      if (!env[name]) return `"${name}" ${need}`;
    }
    const problem = checkAlipayKeys(env).problems[0];
    return problem && `"${problem.variable}" ${problem.message}`;
  },
  callTimeoutMs: (env) => env.ALIPAY_TIMEOUT_MS as number,
  keyReport: (env) => ({ keys: checkAlipayKeys(env).keys }),
};
