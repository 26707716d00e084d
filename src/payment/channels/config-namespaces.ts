import { alipayConfig } from './alipay/alipay.config';
import { unionpayConfig } from './unionpay/unionpay.config';
import { wechatConfig } from './wechat/wechat.config';

/**
 * Every channel's config namespace, loaded with the others (config/configuration.ts `allConfigs`, which
 * names no channel). Adding a channel: its `<name>.config.ts`, and one line here.
 */
export const CHANNEL_CONFIGS = [alipayConfig, wechatConfig, unionpayConfig];
