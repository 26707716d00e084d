import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { paymentConfig } from '../../config/configuration';
import { AlipayTransferClient } from '../channels/alipay/alipay-transfer';
import { WechatTransferClient } from '../channels/wechat/wechat-transfer';
import { PayoutClient } from './payout-gateway';
import { PayoutChannel } from './payout-state';

/** The transfer client of each payout channel; a channel is open for payouts when PAYMENT_CHANNELS has it. */
@Injectable()
export class PayoutClients {
  private readonly clients: Record<PayoutChannel, PayoutClient>;

  constructor(
    alipay: AlipayTransferClient,
    wechat: WechatTransferClient,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
  ) {
    this.clients = { alipay, wechat };
  }

  enabled(channel: PayoutChannel): boolean {
    return this.cfg.channels.includes(channel);
  }

  /** The client of a channel (a payout already stored is settled even if its channel was switched off). */
  of(channel: PayoutChannel): PayoutClient {
    return this.clients[channel];
  }
}
