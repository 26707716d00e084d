import { Provider } from '@nestjs/common';
import { AlipayChannel } from './alipay/alipay.channel';
import { CHANNEL_PLUGINS, ChannelPlugin } from './channel';
import { UnionpayChannel } from './unionpay/unionpay.channel';
import { UnionpayGateway } from './unionpay/unionpay.gateway';
import { UnionpayKeysProvider } from './unionpay/unionpay-keys';
import { UnionpayNotifyAdapter } from './unionpay/unionpay-notify';
import { AlipayNotifyAdapter } from './alipay/alipay-notify';
import { WechatNotifyAdapter } from './wechat/wechat-notify-adapter';
import { NOTIFY_ADAPTERS, NotifyAdapter } from './notify-event';
import { WechatChannel } from './wechat/wechat.channel';

/** Every channel plugin class. Adding a channel: its folder, and one line here (and its notify adapter). */
const PLUGINS = [AlipayChannel, WechatChannel, UnionpayChannel];
/** Every channel's notify adapter (the callback module's NotifyPipeline runs them all). */
const ADAPTERS = [AlipayNotifyAdapter, WechatNotifyAdapter, UnionpayNotifyAdapter];

/** The providers of the channels (plugins, their clients and keys) and the multi-provider token. */
export const CHANNEL_PROVIDERS: Provider[] = [
  ...PLUGINS,
  UnionpayKeysProvider,
  UnionpayGateway,
  ...ADAPTERS,
  {
    provide: NOTIFY_ADAPTERS,
    useFactory: (...adapters: NotifyAdapter<unknown>[]) => adapters,
    inject: ADAPTERS,
  },
  {
    provide: CHANNEL_PLUGINS,
    useFactory: (...plugins: ChannelPlugin[]) => plugins,
    inject: PLUGINS,
  },
];

export { CHANNEL_PLUGINS } from './channel';
export type { ChannelGateway, ChannelPlugin, PaymentRef, RefundRef } from './channel';
export { UnionpayNotifyAdapter } from './unionpay/unionpay-notify';
export type { UnionpayAnswer } from './unionpay/unionpay-notify';
export { AlipayNotifyAdapter } from './alipay/alipay-notify';
export { WechatNotifyAdapter } from './wechat/wechat-notify-adapter';
export type { WechatAnswer } from './wechat/wechat-notify-adapter';
export { UnionpayKeysProvider } from './unionpay/unionpay-keys';
