import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { wechatConfig } from './wechat.config';
import { WechatGateway } from './wechat.gateway';
import { byNumber } from '../by-number';
import type { ChannelGateway, ChannelPlugin } from '../channel';

/** WeChat Pay v3 as a channel plugin (its client wechat.gateway.ts names trades by payment number). */
@Injectable()
export class WechatChannel implements ChannelPlugin {
  readonly channel = 'wechat' as const;
  readonly enabled: boolean;
  readonly gateway: ChannelGateway;

  constructor(client: WechatGateway, @Inject(wechatConfig.KEY) cfg: ConfigType<typeof wechatConfig>) {
    this.enabled = cfg.enabled;
    this.gateway = byNumber(client);
  }
}
