import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { paymentConfig } from '../config/configuration';
import { tryYuanToFen } from '../payment/money';
import { CLOSED_STATUS, isPaidStatus, NotifyParams } from './alipay-notify';
import { CallbackOutcome } from './callback-log.entity';
import { PaymentPort } from './payment-port';
import { isRefundNotify, RefundNotifyHandler } from './refund-notify';
import { DEDUP_STRATEGY, DedupStrategy } from './strategies/dedup-strategy';

/** What to answer the gateway and what to write in the log. */
export interface NotifyDecision {
  ack: 'success' | 'fail';
  outcome: CallbackOutcome;
  detail?: string;
  /** true when a payment moved (so the caller may nudge the relay etc.). */
  changed?: boolean;
}

/**
 * The rules for a notify whose signature is already verified (shared by sync mode and the
 * buffered worker, so both take exactly the same path):
 *
 * 1. `app_id` must be ours and `seller_id` must match when configured — else an anomaly is
 *    recorded, nothing is paid, and the answer is `success` (a re-send would not change the facts).
 * 2. `out_trade_no` must be a known payment — else `fail`: it may be racing our own pre-pay commit,
 *    and the gateway's re-sends bring it back.
 * 3. `total_amount` (yuan, string maths) must equal the payment amount in fen — else anomaly, `success`.
 * 4. TRADE_SUCCESS / TRADE_FINISHED: already SUCCESS → `success` from that plain read, no write
 *    transaction; otherwise the dedup strategy marks it paid (unique_key = the payment module's
 *    applySuccess). TRADE_CLOSED: closes a PENDING payment only; after a success it means a refund
 *    (or a stale close) and is recorded as anomaly REFUND_OR_LATE_CLOSE, never un-paying.
 *
 * Database errors propagate: the caller answers `fail` and the gateway re-sends.
 */
@Injectable()
export class NotifyHandler {
  private readonly logger = new Logger(NotifyHandler.name);

  constructor(
    private readonly payments: PaymentPort,
    private readonly refunds: RefundNotifyHandler,
    @Inject(DEDUP_STRATEGY) private readonly strategy: DedupStrategy,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
  ) {}

  async handle(p: NotifyParams): Promise<NotifyDecision> {
    const paymentNo = p.out_trade_no;
    if (p.app_id !== this.cfg.appId) {
      return this.reject(paymentNo, 'APP_MISMATCH', 'APP_MISMATCH', `app_id ${p.app_id} is not ours`);
    }
    if (this.cfg.sellerId && p.seller_id !== this.cfg.sellerId) {
      return this.reject(
        paymentNo,
        'SELLER_MISMATCH',
        'SELLER_MISMATCH',
        `seller_id ${p.seller_id} is not ours`,
      );
    }
    const payment = await this.payments.findPayment(paymentNo);
    if (!payment) {
      this.logger.warn(
        `notify for unknown out_trade_no ${paymentNo}: answered fail, the gateway will re-send`,
      );
      return { ack: 'fail', outcome: 'UNKNOWN_TRADE', detail: 'unknown out_trade_no' };
    }
    // a refund's notify (out_biz_no + refund_fee; TRADE_SUCCESS or, after a full refund, TRADE_CLOSED)
    if (isRefundNotify(p)) return this.refunds.handle(p, payment);
    const fen = tryYuanToFen(p.total_amount);
    if (fen === null || fen !== payment.amount) {
      return this.reject(
        paymentNo,
        'AMOUNT_MISMATCH',
        'AMOUNT_MISMATCH',
        `notify total_amount ${p.total_amount} != payment amount ${payment.amount} fen`,
      );
    }

    const status = p.trade_status;
    if (isPaidStatus(status)) {
      if (payment.status === 'SUCCESS') return { ack: 'success', outcome: 'ALREADY_PAID' };
      if (!p.trade_no) return { ack: 'fail', outcome: 'MALFORMED', detail: 'paid notify without trade_no' };
      const outcome = await this.strategy.markPaid(
        { paymentNo, channelTradeNo: p.trade_no, amount: fen, paidAt: paidAtOf(p), source: 'callback' },
        payment,
      );
      const map = { applied: 'APPLIED', duplicate: 'DUPLICATE', anomaly: 'ANOMALY' } as const;
      return { ack: 'success', outcome: map[outcome], changed: outcome === 'applied' };
    }
    if (status === CLOSED_STATUS) {
      if (payment.status === 'PENDING') {
        const closed = await this.payments.closePending(paymentNo, 'gateway notify TRADE_CLOSED');
        if (closed) return { ack: 'success', outcome: 'CLOSED', changed: true };
        // lost a race: re-read and decide on what won
        const now = await this.payments.findPayment(paymentNo);
        if (now?.status !== 'SUCCESS') return { ack: 'success', outcome: 'ALREADY_CLOSED' };
      } else if (payment.status === 'CLOSED') {
        return { ack: 'success', outcome: 'ALREADY_CLOSED' };
      }
      // paid here: TRADE_CLOSED after success is a full refund or a stale close — record, never un-pay
      this.logger.warn(`TRADE_CLOSED for paid payment ${paymentNo}: recorded as REFUND_OR_LATE_CLOSE`);
      await this.payments.recordAnomaly(
        paymentNo,
        'REFUND_OR_LATE_CLOSE',
        `TRADE_CLOSED notify ${p.notify_id} after success${p.refund_fee ? `, refund_fee ${p.refund_fee}` : ''}`,
      );
      return { ack: 'success', outcome: 'REFUND_OR_LATE_CLOSE' };
    }
    // WAIT_BUYER_PAY or anything else carries no change for us
    return { ack: 'success', outcome: 'IGNORED', detail: `trade_status ${status}` };
  }

  private async reject(
    paymentNo: string,
    outcome: CallbackOutcome,
    kind: string,
    detail: string,
  ): Promise<NotifyDecision> {
    this.logger.error(`validly signed notify rejected for ${paymentNo}: ${detail}`);
    await this.payments.recordAnomaly(paymentNo, kind, detail);
    return { ack: 'success', outcome, detail };
  }
}

/** gmt_payment is Beijing time 'YYYY-MM-DD HH:mm:ss' (GATEWAY.md); the receipt time if absent or odd. */
function paidAtOf(p: NotifyParams): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(p.gmt_payment ?? '');
  if (!m) return new Date();
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
  return Number.isNaN(d.getTime()) ? new Date() : d;
}
