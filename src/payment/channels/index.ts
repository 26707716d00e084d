import { Provider } from '@nestjs/common';
import { AlipayChannel } from './alipay/alipay.channel';
import { CHANNEL_PLUGINS, ChannelPlugin } from './channel';
import { UnionpayChannel } from './unionpay/unionpay.channel';
import { UnionpayGateway } from './unionpay/unionpay.gateway';
import { UnionpayKeysProvider } from './unionpay/unionpay-keys';
import { UnionpayNotifyReader } from './unionpay/unionpay-notify';
import { WechatChannel } from './wechat/wechat.channel';

/** Every channel plugin class. Adding a channel: its folder, and one line here. */
const PLUGINS = [AlipayChannel, WechatChannel, UnionpayChannel];

/** The providers of the channels (plugins, their clients and keys) and the multi-provider token. */
export const CHANNEL_PROVIDERS: Provider[] = [
  ...PLUGINS,
  UnionpayKeysProvider,
  UnionpayGateway,
  UnionpayNotifyReader,
  {
    provide: CHANNEL_PLUGINS,
    useFactory: (...plugins: ChannelPlugin[]) => plugins,
    inject: PLUGINS,
  },
];

export { CHANNEL_PLUGINS } from './channel';
export type { ChannelGateway, ChannelPlugin, PaymentRef, RefundRef } from './channel';
export { UnionpayNotifyReader } from './unionpay/unionpay-notify';
export { UnionpayKeysProvider } from './unionpay/unionpay-keys';
