import * as Joi from 'joi';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { channelEnabled, type ChannelKeyReport, type EnvFragment } from '../../../config/env-fragment';
import type { KeyState } from '../../../config/key-check';

/** The demo merchant number (UnionPay's SDK demos; the sandbox's) used while UNIONPAY_MER_ID is unset. */
export const UNIONPAY_DEMO_MER_ID = '777290058110048';

/**
 * The UNIONPAY_* variables (registered in payment/channels/env-fragments.ts). Certificates and keys are
 * PEM text (or, for the signing key, a base64 PKCS#12 file with its password).
 */
const UNIONPAY_SCHEMA = {
  /** The merchant number UnionPay assigned (15 characters). */
  UNIONPAY_MER_ID: Joi.string().pattern(/^[0-9A-Za-z]{15}$/),
  /** The merchant's signing key, PEM (PKCS1 or PKCS8), with its certificate (UNIONPAY_SIGN_CERT) for certId. */
  UNIONPAY_SIGN_KEY: Joi.string().allow(''),
  UNIONPAY_SIGN_CERT: Joi.string().allow(''),
  /** Or the signing key as UnionPay issues it: the PKCS#12 (.pfx) file, base64, and its password. */
  UNIONPAY_SIGN_PFX: Joi.string().allow(''),
  UNIONPAY_SIGN_PFX_PASSWORD: Joi.string().allow(''),
  /** UnionPay's root and intermediate certificates (acp_prod_root.cer / acp_prod_middle.cer), PEM. */
  UNIONPAY_ROOT_CERT: Joi.string().allow(''),
  UNIONPAY_MIDDLE_CERT: Joi.string().allow(''),
  /** Base URL of the gateway: https://gateway.95516.com (production), https://gateway.test.95516.com (test). */
  UNIONPAY_GATEWAY_URL: Joi.string().uri({ scheme: ['http', 'https'] }),
  UNIONPAY_TIMEOUT_MS: Joi.number().integer().min(100).default(5000),
  /** Accepted third `@`-fields of the signing certificate's CN, comma-separated. */
  UNIONPAY_CERT_IDENTITIES: Joi.string(),
};

/** The UNIONPAY_* part of the environment contract; production with the channel needs it complete. */
export const UNIONPAY_ENV: EnvFragment = {
  channel: 'unionpay',
  defaultInProduction: false,
  schema: UNIONPAY_SCHEMA,
  check: unionpayEnvError,
  callTimeoutMs: (env) => env.UNIONPAY_TIMEOUT_MS as number,
  keyReport: unionpayKeyReport,
};

/**
 * /health's view of the keys: the signing key (PKCS#12, or PEM key + certificate), the root and the
 * intermediate certificate, each `ready`, `missing` or — a PEM that does not read — `invalid`.
 */
function unionpayKeyReport(env: Record<string, unknown>): ChannelKeyReport {
  const text = (k: string) => (typeof env[k] === 'string' && env[k] !== '' ? String(env[k]) : undefined);
  const cert = (k: string): KeyState => {
    const pem = text(k);
    return !pem ? 'missing' : readable(() => new X509Certificate(pem)) ? 'ready' : 'invalid';
  };
  let signKey: KeyState = 'missing';
  if (text('UNIONPAY_SIGN_PFX')) signKey = 'ready';
  else if (text('UNIONPAY_SIGN_KEY') && text('UNIONPAY_SIGN_CERT')) {
    const key = readable(() => createPrivateKey(text('UNIONPAY_SIGN_KEY')!));
    signKey = key && cert('UNIONPAY_SIGN_CERT') === 'ready' ? 'ready' : 'invalid';
  }
  return {
    facts: { merId: text('UNIONPAY_MER_ID') ?? UNIONPAY_DEMO_MER_ID },
    keys: { signKey, rootCert: cert('UNIONPAY_ROOT_CERT'), middleCert: cert('UNIONPAY_MIDDLE_CERT') },
  };
}

/** The settings the real gateway needs when PAYMENT_CHANNELS includes unionpay in production. */
function unionpayEnvError(env: Record<string, unknown>): string | undefined {
  if (!channelEnabled(env, 'unionpay') || env.NODE_ENV !== 'production') return undefined;
  const need = 'is required when PAYMENT_CHANNELS includes unionpay and NODE_ENV=production';
  const has = (k: string) => typeof env[k] === 'string' && env[k] !== '';
  for (const k of ['UNIONPAY_MER_ID', 'UNIONPAY_ROOT_CERT', 'UNIONPAY_MIDDLE_CERT', 'UNIONPAY_GATEWAY_URL']) {
    if (!has(k)) return `"${k}" ${need}`;
  }
  if (!has('PUBLIC_BASE_URL')) return `"PUBLIC_BASE_URL" ${need}`;
  const pem = has('UNIONPAY_SIGN_KEY') || has('UNIONPAY_SIGN_CERT');
  if (!has('UNIONPAY_SIGN_PFX') && !(has('UNIONPAY_SIGN_KEY') && has('UNIONPAY_SIGN_CERT'))) {
    return pem
      ? `"${has('UNIONPAY_SIGN_KEY') ? 'UNIONPAY_SIGN_CERT' : 'UNIONPAY_SIGN_KEY'}" ${need} (with the other one)`
      : `"UNIONPAY_SIGN_PFX" (or UNIONPAY_SIGN_KEY + UNIONPAY_SIGN_CERT) ${need}`;
  }
  for (const k of ['UNIONPAY_ROOT_CERT', 'UNIONPAY_MIDDLE_CERT', 'UNIONPAY_SIGN_CERT']) {
    if (has(k) && !readable(() => new X509Certificate(String(env[k]))))
      return `"${k}" is not a readable PEM certificate`;
  }
  if (has('UNIONPAY_SIGN_KEY') && !readable(() => createPrivateKey(String(env.UNIONPAY_SIGN_KEY)))) {
    return '"UNIONPAY_SIGN_KEY" is not a readable PEM private key';
  }
  return undefined;
}

function readable(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}
