import type { EnvFragment } from '../../config/env-fragment';
import { ALIPAY_ENV } from './alipay/alipay.env';
import { UNIONPAY_ENV } from './unionpay/unionpay.env';
import { WECHAT_ENV } from './wechat/wechat.env';

/** The wallet pays from the user's balance: a channel with no gateway, nothing to configure. */
const WALLET_ENV: EnvFragment = { channel: 'wallet', defaultInProduction: true, schema: {} };

/**
 * Every channel's part of the environment contract, composed by config/env.validation.ts (which names
 * no channel). Adding a channel: its `<name>.env.ts`, and one line here (and in config-namespaces.ts and
 * index.ts). Kept apart from the namespaces: those read validateEnv, which reads this list.
 */
export const CHANNEL_ENV_FRAGMENTS: readonly EnvFragment[] = [
  ALIPAY_ENV,
  WECHAT_ENV,
  UNIONPAY_ENV,
  WALLET_ENV,
];
