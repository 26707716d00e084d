import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { ChannelPlugin } from '../channel';
import { unionpayConfig } from './unionpay.config';
import { UnionpayGateway } from './unionpay.gateway';

/** UnionPay (acp 5.1.0) as a channel plugin: its client takes references (txnTime, origQryId). */
@Injectable()
export class UnionpayChannel implements ChannelPlugin {
  readonly channel = 'unionpay' as const;
  readonly enabled: boolean;

  constructor(
    readonly gateway: UnionpayGateway,
    @Inject(unionpayConfig.KEY) cfg: ConfigType<typeof unionpayConfig>,
  ) {
    this.enabled = cfg.enabled;
  }
}
