import { generateKeyPairSync } from 'node:crypto';
import type { EnvFragment } from '../../config/env-fragment';
import { CHANNEL_ENV_FRAGMENTS } from '../../payment/channels/env-fragments';
import { channelKeyHealth } from './channel-keys.health';

/** A channel that exists only in this test: what /health shows of it comes from its fragment alone. */
const PIGEON: EnvFragment = {
  channel: 'pigeon',
  defaultInProduction: false,
  schema: {},
  keyReport: (env) => ({
    facts: { loft: 'north' },
    keys: { wingKey: env.PIGEON_WING_KEY ? 'ready' : 'missing', tailKey: 'ready' },
  }),
};
const NO_KEYS: EnvFragment = { channel: 'wallet', defaultInProduction: true, schema: {} };

describe('channelKeyHealth (the /health indicators, built from the channels’ own key checks)', () => {
  it('a channel appears from its fragment alone: its keys, its facts; missing → sandbox only in sandbox mode', () => {
    const env = { PAYMENT_CHANNELS: 'pigeon,wallet' };
    expect(channelKeyHealth([PIGEON, NO_KEYS], env, true)).toEqual([
      {
        channel: 'pigeon',
        keys: { wingKey: 'sandbox', tailKey: 'ready' },
        facts: { loft: 'north' },
        ok: true,
      },
    ]);
    expect(channelKeyHealth([PIGEON], env, false)).toEqual([
      expect.objectContaining({
        channel: 'pigeon',
        keys: { wingKey: 'missing', tailKey: 'ready' },
        ok: false,
      }),
    ]);
    expect(channelKeyHealth([PIGEON], { ...env, PIGEON_WING_KEY: 'x' }, false)[0].ok).toBe(true);
  });

  it('a channel PAYMENT_CHANNELS leaves out, or one with no key check, has no indicator', () => {
    expect(channelKeyHealth([PIGEON, NO_KEYS], { PAYMENT_CHANNELS: 'alipay,wallet' }, true)).toEqual([]);
  });

  it('the real channels, in registration order, each from its own fragment', () => {
    const env = { PAYMENT_CHANNELS: 'alipay,wechat,unionpay,wallet' };
    const got = channelKeyHealth(CHANNEL_ENV_FRAGMENTS, env, true);
    expect(got.map((c) => c.channel)).toEqual(['alipay', 'wechat', 'unionpay']);
    expect(got[2]).toEqual({
      channel: 'unionpay',
      facts: { merId: '777290058110048' },
      keys: { signKey: 'sandbox', rootCert: 'sandbox', middleCert: 'sandbox' },
      ok: true,
    });
  });

  it('a configured key that does not read is invalid even in sandbox mode (configured keys win)', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const env = {
      PAYMENT_CHANNELS: 'unionpay',
      UNIONPAY_MER_ID: '898111111111111',
      UNIONPAY_ROOT_CERT: 'not a certificate',
      UNIONPAY_SIGN_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      UNIONPAY_SIGN_CERT: 'not a certificate either',
    };
    expect(channelKeyHealth(CHANNEL_ENV_FRAGMENTS, env, true)).toEqual([
      {
        channel: 'unionpay',
        facts: { merId: '898111111111111' },
        keys: { signKey: 'invalid', rootCert: 'invalid', middleCert: 'sandbox' },
        ok: false,
      },
    ]);
  });
});
