import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { fromCst } from '../common/china-time';
import { alipayConfig } from '../payment/channels/alipay/alipay.config';
import { tryYuanToFen } from '../payment/money';
import { PaymentCloseService } from '../payment/payment-close.service';
import { PaymentRepository } from '../payment/payment.repository';
import { SuccessOutcome } from '../payment/payment-success.service';
import { CLOSED_STATUS, isPaidStatus, NotifyParams } from './alipay-notify';
import { CallbackOutcome } from './callback-log.entity';
import { isRefundNotify, RefundNotifyHandler } from './refund-notify';
import { DEDUP_STRATEGY, DedupStrategy } from './strategies/dedup-strategy';

/** What to answer the gateway and what to write in the log. */
export interface NotifyDecision {
  ack: 'success' | 'fail';
  outcome: CallbackOutcome;
  detail?: string;
  /** true when a payment moved (so the caller may nudge the relay etc.). */
  changed?: boolean;
  /** true when the journal already wrote this decision, in the transaction that applied it. */
  journaled?: boolean;
}

/**
 * Writes the decision inside the transaction that applies it (sync mode: the log row; buffered
 * mode: the row's outcome), so the apply and its bookkeeping are one commit.
 */
export type NotifyJournal = (m: EntityManager, d: NotifyDecision) => Promise<void>;

const OUTCOME_OF: Record<SuccessOutcome, CallbackOutcome> = {
  applied: 'APPLIED',
  duplicate: 'DUPLICATE',
  anomaly: 'ANOMALY',
};

/**
 * The rules for a notify whose signature is already verified (shared by sync mode and the
 * buffered worker, so both take exactly the same path):
 *
 * 1. `app_id` must be ours and `seller_id` must match when configured — else an anomaly is
 *    recorded, nothing is paid, and the answer is `success` (a re-send would not change the facts).
 * 2. `out_trade_no` must be a known payment — else `fail`: it may be racing our own pre-pay commit,
 *    and the gateway's re-sends bring it back.
 * 3. `total_amount` must be an amount (yuan, string maths) — else it is an AMOUNT_MISMATCH.
 * 4. TRADE_SUCCESS / TRADE_FINISHED: already SUCCESS → `success` from that one read, no write;
 *    otherwise the dedup strategy (unique_key = PaymentSuccessService.apply, the one success path,
 *    which checks amount and channel and pays the order in the same transaction) marks it paid.
 *    TRADE_CLOSED: closes a PENDING payment only, and only an Alipay one (`closePending` checks the
 *    channel: a WeChat payment's trade stays payable at WeChat, anomaly CHANNEL_MISMATCH); after a
 *    success it means a refund (or a stale close) and is recorded as anomaly REFUND_OR_LATE_CLOSE,
 *    never un-paying.
 *
 * A decision that changed something is written by the journal in the same transaction
 * (`journaled: true`); the caller writes the others. Database errors propagate: the caller answers
 * `fail` and the gateway re-sends.
 */
@Injectable()
export class NotifyHandler {
  private readonly logger = new Logger(NotifyHandler.name);

  constructor(
    private readonly payments: PaymentRepository,
    private readonly closer: PaymentCloseService,
    private readonly refunds: RefundNotifyHandler,
    @Inject(DEDUP_STRATEGY) private readonly strategy: DedupStrategy,
    @Inject(alipayConfig.KEY) private readonly cfg: ConfigType<typeof alipayConfig>,
  ) {}

  async handle(p: NotifyParams, journal?: NotifyJournal): Promise<NotifyDecision> {
    const paymentNo = p.out_trade_no;
    if (p.app_id !== this.cfg.appId) {
      return this.reject(paymentNo, 'APP_MISMATCH', `app_id ${p.app_id} is not ours`);
    }
    if (this.cfg.sellerId && p.seller_id !== this.cfg.sellerId) {
      return this.reject(paymentNo, 'SELLER_MISMATCH', `seller_id ${p.seller_id} is not ours`);
    }
    const payment = await this.payments.findByPaymentNo(null, paymentNo);
    if (!payment) {
      this.logger.warn(
        `notify for unknown out_trade_no ${paymentNo}: answered fail, the gateway will re-send`,
      );
      return { ack: 'fail', outcome: 'UNKNOWN_TRADE', detail: 'unknown out_trade_no' };
    }
    // a refund's notify (out_biz_no + refund_fee; TRADE_SUCCESS or, after a full refund, TRADE_CLOSED)
    if (isRefundNotify(p)) return this.refunds.handle(p, payment);
    const fen = tryYuanToFen(p.total_amount);
    const status = p.trade_status;
    if (isPaidStatus(status)) {
      if (payment.status === 'SUCCESS') return { ack: 'success', outcome: 'ALREADY_PAID' };
      if (fen === null) {
        return this.reject(
          paymentNo,
          'AMOUNT_MISMATCH',
          `notify total_amount ${p.total_amount} is not an amount`,
        );
      }
      if (!p.trade_no) return { ack: 'fail', outcome: 'MALFORMED', detail: 'paid notify without trade_no' };
      let journaled = false;
      const r = await this.strategy.markPaid(
        {
          paymentNo,
          channel: 'alipay',
          channelTradeNo: p.trade_no,
          amount: fen,
          paidAt: paidAtOf(p),
          source: 'callback',
        },
        payment,
        journal
          ? async (m) => {
              await journal(m, { ack: 'success', outcome: 'APPLIED' });
              journaled = true;
            }
          : undefined,
      );
      if (r.outcome === 'anomaly' && r.anomaly === 'AMOUNT_MISMATCH') {
        const detail = `notify total_amount ${p.total_amount} != payment amount ${payment.amount} fen`;
        this.logger.error(`validly signed notify rejected for ${paymentNo}: ${detail}`);
        return { ack: 'success', outcome: 'AMOUNT_MISMATCH', detail };
      }
      return {
        ack: 'success',
        outcome: OUTCOME_OF[r.outcome],
        detail: r.anomaly,
        changed: r.outcome === 'applied',
        journaled,
      };
    }
    if (fen === null || fen !== payment.amount) {
      return this.reject(
        paymentNo,
        'AMOUNT_MISMATCH',
        `notify total_amount ${p.total_amount} != payment amount ${payment.amount} fen`,
      );
    }
    if (status === CLOSED_STATUS) {
      if (payment.status === 'PENDING') {
        const decision: NotifyDecision = { ack: 'success', outcome: 'CLOSED', changed: true };
        const closed = await this.closer.closePending(paymentNo, 'alipay', 'gateway notify TRADE_CLOSED', {
          journal: journal ? (m) => journal(m, decision) : undefined,
        });
        if (closed === 'closed') return { ...decision, journaled: !!journal };
        if (closed === 'channel_mismatch') {
          // a payment of another channel (its trade may still be payable there): nothing closed
          const detail = `TRADE_CLOSED for a ${payment.channel} payment`;
          return { ack: 'success', outcome: 'CHANNEL_MISMATCH', detail };
        }
        // lost a race: re-read and decide on what won
        const now = await this.payments.findByPaymentNo(null, paymentNo);
        if (now?.status !== 'SUCCESS') return { ack: 'success', outcome: 'ALREADY_CLOSED' };
      } else if (payment.status === 'CLOSED') {
        return { ack: 'success', outcome: 'ALREADY_CLOSED' };
      }
      // paid here: TRADE_CLOSED after success is a full refund or a stale close — record, never un-pay
      this.logger.warn(`TRADE_CLOSED for paid payment ${paymentNo}: recorded as REFUND_OR_LATE_CLOSE`);
      await this.payments.recordAnomaly(
        null,
        paymentNo,
        'REFUND_OR_LATE_CLOSE',
        `TRADE_CLOSED notify ${p.notify_id} after success${p.refund_fee ? `, refund_fee ${p.refund_fee}` : ''}`,
        { once: true },
      );
      return { ack: 'success', outcome: 'REFUND_OR_LATE_CLOSE' };
    }
    // WAIT_BUYER_PAY or anything else carries no change for us
    return { ack: 'success', outcome: 'IGNORED', detail: `trade_status ${status}` };
  }

  private async reject(paymentNo: string, kind: CallbackOutcome, detail: string): Promise<NotifyDecision> {
    this.logger.error(`validly signed notify rejected for ${paymentNo}: ${detail}`);
    await this.payments.recordAnomaly(null, paymentNo, kind, detail, { once: true });
    return { ack: 'success', outcome: kind, detail };
  }
}

/** gmt_payment is China time 'YYYY-MM-DD HH:mm:ss' (GATEWAY.md); the receipt time if absent or odd. */
function paidAtOf(p: NotifyParams): Date {
  return fromCst(p.gmt_payment ?? '') ?? new Date();
}
