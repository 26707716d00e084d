import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { alipayConfig } from './alipay.config';
import { AlipayGateway } from './alipay.gateway';
import { byNumber } from '../by-number';
import type { ChannelGateway, ChannelPlugin } from '../channel';

/** Alipay as a channel plugin (its client alipay.gateway.ts names trades by payment number). */
@Injectable()
export class AlipayChannel implements ChannelPlugin {
  readonly channel = 'alipay' as const;
  readonly enabled: boolean;
  readonly gateway: ChannelGateway;

  constructor(client: AlipayGateway, @Inject(alipayConfig.KEY) cfg: ConfigType<typeof alipayConfig>) {
    this.enabled = cfg.enabled;
    this.gateway = byNumber(client);
  }
}
