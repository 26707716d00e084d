import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { paymentConfig } from '../../config/configuration';
import { PaymentRepository } from '../payment.repository';
import { AlipayGateway } from './alipay.gateway';
import {
  BillResult,
  CloseResult,
  PaymentGateway,
  PrecreateRequest,
  PrecreateResult,
  QueryResult,
  RefundQueryRequest,
  RefundQueryResult,
  RefundRequest,
  RefundResult,
} from './payment-gateway';
import { WechatGateway } from './wechat.gateway';

export type GatewayChannel = 'alipay' | 'wechat';
type ChannelGateway = Omit<PaymentGateway, 'verifyNotify'>;

/**
 * PAYMENT_GATEWAY for the payment module: every call about a payment goes to the gateway of that
 * payment's channel (t_payment.channel, read once per payment and remembered — a payment never changes
 * channel), so pre-pay, active queries, expiry close, the sweeper and refunds reach WeChat for WeChat
 * payments without knowing there are two channels. The bill is the enabled channels' bills merged (one
 * reconciliation covers both; a channel whose bill cannot be had fails the whole run, never half of
 * it). `verifyNotify` is Alipay's form check (WeChat notifies go through WechatNotifyReader).
 */
@Injectable()
export class ChannelGatewayRouter implements PaymentGateway {
  private readonly channelOf = new Map<string, GatewayChannel>();

  constructor(
    private readonly alipay: AlipayGateway,
    private readonly wechat: WechatGateway,
    private readonly payments: PaymentRepository,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
  ) {}

  /** The gateway client of a channel. */
  of(channel: GatewayChannel): ChannelGateway {
    return channel === 'wechat' ? this.wechat : this.alipay;
  }

  async precreate(req: PrecreateRequest): Promise<PrecreateResult> {
    return (await this.forPayment(req.paymentNo)).precreate(req);
  }

  async query(paymentNo: string): Promise<QueryResult> {
    return (await this.forPayment(paymentNo)).query(paymentNo);
  }

  async close(paymentNo: string): Promise<CloseResult> {
    return (await this.forPayment(paymentNo)).close(paymentNo);
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    return (await this.forPayment(req.paymentNo)).refund(req);
  }

  async refundQuery(req: RefundQueryRequest): Promise<RefundQueryResult> {
    return (await this.forPayment(req.paymentNo)).refundQuery(req);
  }

  async downloadBill(date: string): Promise<BillResult> {
    const channels = (['alipay', 'wechat'] as const).filter((c) => this.cfg.channels.includes(c));
    const bills = await Promise.all(
      channels.map(async (c) => [c, await this.of(c).downloadBill(date)] as const),
    );
    const merged: Extract<BillResult, { ok: true }> = { ok: true, trades: [], refunds: [] };
    for (const [channel, bill] of bills) {
      if (!bill.ok) return { ok: false, reason: `${channel}: ${bill.reason}` };
      merged.trades.push(...bill.trades.map((t) => ({ ...t, channel })));
      merged.refunds.push(...bill.refunds.map((r) => ({ ...r, channel })));
    }
    return merged;
  }

  verifyNotify(params: Record<string, string>): Promise<boolean> {
    return this.alipay.verifyNotify(params);
  }

  /** A payment oncepay does not know (a stray bill line) is asked at Alipay, as before WeChat. */
  private async forPayment(paymentNo: string): Promise<ChannelGateway> {
    let channel = this.channelOf.get(paymentNo);
    if (!channel) {
      const p = await this.payments.findByPaymentNo(null, paymentNo);
      channel = (p?.channel as string | undefined) === 'wechat' ? 'wechat' : 'alipay';
      if (p) {
        if (this.channelOf.size > 10_000) this.channelOf.clear();
        this.channelOf.set(paymentNo, channel);
      }
    }
    return this.of(channel);
  }
}
