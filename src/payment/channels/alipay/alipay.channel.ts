import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { paymentConfig } from '../../../config/configuration';
import { AlipayGateway } from './alipay.gateway';
import { byNumber } from '../by-number';
import type { ChannelGateway, ChannelPlugin } from '../channel';

/** Alipay as a channel plugin (its client alipay.gateway.ts names trades by payment number). */
@Injectable()
export class AlipayChannel implements ChannelPlugin {
  readonly channel = 'alipay' as const;
  readonly enabled: boolean;
  readonly gateway: ChannelGateway;

  constructor(client: AlipayGateway, @Inject(paymentConfig.KEY) cfg: ConfigType<typeof paymentConfig>) {
    this.enabled = cfg.channels.includes('alipay');
    this.gateway = byNumber(client);
  }
}
