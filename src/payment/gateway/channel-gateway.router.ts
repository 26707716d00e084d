import { Inject, Injectable } from '@nestjs/common';
import { CHANNEL_PLUGINS, ChannelGateway, ChannelPlugin, PaymentRef, RefundRef } from '../channels/channel';
import { Payment } from '../entities/payment.entity';
import { AlipayGateway } from '../channels/alipay/alipay.gateway';
import { PaymentRepository } from '../payment.repository';
import { RefundRepository } from '../refund/refund.repository';
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

export type GatewayChannel = ChannelPlugin['channel'];

/** The immutable facts of a payment the router remembers (a payment never changes channel or amount). */
type Known = Omit<PaymentRef, 'channelTradeNo'> & { channel: string };

/**
 * PAYMENT_GATEWAY for the payment module: callers name a payment by its number; the router reads the
 * payment (and, for refunds, the refund) once, builds the reference its channel needs, and hands it to
 * that channel's plugin — a map lookup over CHANNEL_PLUGINS, refusing (UNKNOWN, never a guess) a
 * payment of an unknown or disabled channel, or one oncepay does not know. The bill is the enabled
 * channels' bills merged (one reconciliation covers them all; a channel whose bill cannot be had fails
 * the whole run, never half of it). `verifyNotify` is Alipay's form check (the other channels' notifies
 * go through their adapters).
 */
@Injectable()
export class ChannelGatewayRouter implements PaymentGateway {
  private readonly known = new Map<string, Known>();
  private readonly plugins: Map<string, ChannelPlugin>;

  constructor(
    @Inject(CHANNEL_PLUGINS) plugins: ChannelPlugin[],
    private readonly payments: PaymentRepository,
    private readonly refunds: RefundRepository,
    private readonly alipay: AlipayGateway,
  ) {
    this.plugins = new Map(plugins.filter((p) => p.enabled).map((p) => [p.channel, p]));
  }

  /** The client of an enabled channel, or null. */
  of(channel: string): ChannelGateway | null {
    return this.plugins.get(channel)?.gateway ?? null;
  }

  /** The channels whose plugin is registered and enabled. */
  enabledChannels(): string[] {
    return [...this.plugins.keys()];
  }

  async precreate(req: PrecreateRequest): Promise<PrecreateResult> {
    const r = await this.resolve(req.paymentNo);
    if ('reason' in r) return { ok: false, reason: r.reason };
    return r.gateway.precreate(r.ref, { notifyUrl: req.notifyUrl });
  }

  async query(paymentNo: string): Promise<QueryResult> {
    const r = await this.resolve(paymentNo);
    return 'reason' in r ? { status: 'UNKNOWN', reason: r.reason } : r.gateway.query(r.ref);
  }

  async close(paymentNo: string): Promise<CloseResult> {
    const r = await this.resolve(paymentNo);
    return 'reason' in r ? { status: 'UNKNOWN', reason: r.reason } : r.gateway.close(r.ref);
  }

  async refund(req: RefundRequest): Promise<RefundResult> {
    const r = await this.resolveRefund(req.paymentNo, req.refundNo, req);
    return 'reason' in r ? { status: 'UNKNOWN', reason: r.reason } : r.gateway.refund(r.ref, r.refund);
  }

  async refundQuery(req: RefundQueryRequest): Promise<RefundQueryResult> {
    const r = await this.resolveRefund(req.paymentNo, req.refundNo);
    return 'reason' in r ? { status: 'UNKNOWN', reason: r.reason } : r.gateway.refundQuery(r.ref, r.refund);
  }

  async downloadBill(date: string): Promise<BillResult> {
    const bills = await Promise.all(
      [...this.plugins.values()].map(async (p) => [p.channel, await p.gateway.downloadBill(date)] as const),
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

  private async resolve(
    paymentNo: string,
    fresh?: Payment | null,
  ): Promise<{ gateway: ChannelGateway; ref: PaymentRef } | { reason: string }> {
    let k = fresh ? undefined : this.known.get(paymentNo);
    let tradeNo: string | null = null;
    if (!k) {
      const p = fresh ?? (await this.payments.findByPaymentNo(null, paymentNo));
      if (!p) return { reason: `payment ${paymentNo} is not known` };
      k = {
        paymentNo,
        channel: p.channel,
        amount: p.amount,
        subject: p.subject,
        createdAt: p.createdAt,
        expiresAt: p.expiresAt,
      };
      tradeNo = p.channelTradeNo;
      if (this.known.size > 10_000) this.known.clear();
      this.known.set(paymentNo, k);
    }
    const gateway = this.of(k.channel);
    if (!gateway) return { reason: `channel ${k.channel} is not enabled` };
    const { channel: _channel, ...ref } = k;
    return { gateway, ref: { ...ref, channelTradeNo: tradeNo } };
  }

  /** Refunds read the payment fresh (its trade number is set once paid) and the refund row. */
  private async resolveRefund(
    paymentNo: string,
    refundNo: string,
    req?: RefundRequest,
  ): Promise<{ gateway: ChannelGateway; ref: PaymentRef; refund: RefundRef } | { reason: string }> {
    const p = await this.payments.findByPaymentNo(null, paymentNo);
    if (!p) return { reason: `payment ${paymentNo} is not known` };
    const r = await this.resolve(paymentNo, p);
    if ('reason' in r) return r;
    const row = await this.refunds.findByRefundNo(null, refundNo);
    if (!row || row.paymentNo !== paymentNo) return { reason: `refund ${refundNo} is not known` };
    return {
      ...r,
      refund: {
        refundNo,
        amount: req?.amount ?? row.amount,
        createdAt: row.createdAt,
        reason: req?.reason ?? row.reason,
        notifyUrl: req?.notifyUrl,
      },
    };
  }
}
