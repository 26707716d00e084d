import * as Joi from 'joi';
import type { ChannelKeyReport, EnvFragment } from '../../../config/env-fragment';
import { alipayCertMode, ALIPAY_CERT_VARS, checkAlipayCerts } from './alipay.certs';
import { checkAlipayKeys } from './alipay.keys';

/**
 * The ALIPAY_* part of the environment contract. Alipay is the real gateway PAYMENT_GATEWAY=alipay
 * talks to; production with it refuses to start half-configured: it would start, answer /health 200,
 * and fail every pre-pay and callback. Two key modes: public-key mode (ALIPAY_PUBLIC_KEY) or
 * public-key-certificate mode (ALIPAY_APP_CERT + ALIPAY_PUBLIC_CERT + ALIPAY_ROOT_CERT, all three; the fund
 * APIs of production apps want it), see alipay.certs.ts.
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
    /** Certificate mode: the app certificate, Alipay's public certificate and Alipay's root chain, PEM text. */
    ALIPAY_APP_CERT: Joi.string().allow(''),
    ALIPAY_PUBLIC_CERT: Joi.string().allow(''),
    ALIPAY_ROOT_CERT: Joi.string().allow(''),
    /** Certificate mode on/off; unset: on when a certificate is configured (sandbox mode fills in the rest). */
    ALIPAY_CERT_MODE: Joi.boolean(),
  },
  check(env) {
    if (env.NODE_ENV !== 'production' || env.PAYMENT_GATEWAY !== 'alipay') return undefined;
    const need = 'is required when NODE_ENV=production and PAYMENT_GATEWAY=alipay';
    const cert = alipayCertMode(env);
    const set = ALIPAY_CERT_VARS.filter((k) => env[k]);
    if (env.ALIPAY_CERT_MODE === false && set.length > 0) {
      return `"${set[0]}" is set but ALIPAY_CERT_MODE=false (unset it, or the certificate variables)`;
    }
    const required = [
      'ALIPAY_PRIVATE_KEY',
      ...(cert ? ALIPAY_CERT_VARS : ['ALIPAY_PUBLIC_KEY']),
      'ALIPAY_GATEWAY_URL',
      'PUBLIC_BASE_URL',
    ];
    for (const name of required) {
      if (env[name]) continue;
      if (cert && (ALIPAY_CERT_VARS as readonly string[]).includes(name)) {
        return `"${name}" ${need} in certificate mode (ALIPAY_APP_CERT, ALIPAY_PUBLIC_CERT and ALIPAY_ROOT_CERT go together)`;
      }
      return `"${name}" ${need}`;
    }
    const problem = [...checkAlipayKeys(env).problems, ...checkAlipayCerts(env).problems][0];
    return problem && `"${problem.variable}" ${problem.message}`;
  },
  callTimeoutMs: (env) => env.ALIPAY_TIMEOUT_MS as number,
  keyReport: (env) => alipayKeyReport(env),
};

/**
 * /health's view: `mode` (`cert` or `publicKey`) and, in certificate mode, the three certificates and their
 * SNs (what alipay-sdk sends as app_cert_sn / alipay_root_cert_sn); ALIPAY_PUBLIC_KEY is not needed then.
 */
function alipayKeyReport(env: Record<string, unknown>): ChannelKeyReport {
  const keys = checkAlipayKeys(env).keys;
  if (!alipayCertMode(env)) return { facts: { mode: 'publicKey' }, keys };
  const certs = checkAlipayCerts(env);
  const { publicKey, ...rest } = keys;
  return {
    facts: { mode: 'cert', ...certs.sns },
    keys: { ...rest, ...certs.keys, ...(publicKey === 'missing' ? {} : { publicKey }) },
  };
}
