import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Counter } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service';
import { callbackConfig } from '../config/configuration';
import { callbackDuplicates } from './callback-metrics';
import {
  type NotifyLogKeys,
  type NotifyRead,
  type PaymentChannel,
  PaymentRepository,
  PaymentSuccessService,
  RefundApplyService,
  RefundRepository,
  type SuccessOutcome,
  type VerifiedEvent,
} from '../payment';
import { CallbackOutcome } from './callback-log.entity';
import { CallbackLogRepository } from './callback-log.repository';
import type { NotifyParams } from './alipay-notify';

/** What became of a notify: its log outcome, and whether the gateway may stop re-sending (`accept`). */
export interface PipelineResult {
  outcome: CallbackOutcome;
  /** true only once the outcome is durable (applied, a duplicate, a recorded anomaly, ignored). */
  accept: boolean;
}

const OUTCOME_OF: Record<SuccessOutcome, CallbackOutcome> = {
  applied: 'APPLIED',
  duplicate: 'DUPLICATE',
  anomaly: 'ANOMALY',
};
const REFUND_OUTCOME = {
  applied: 'REFUND_APPLIED',
  duplicate: 'REFUND_DUPLICATE',
  anomaly: 'REFUND_ANOMALY',
} as const;

/**
 * The one notify pipeline: a channel's adapter turns a raw notify into a NotifyRead (verified event or
 * refusal); this service holds every rule once and returns an outcome the adapter renders as its
 * gateway's answer. Rules:
 *
 * - refused (forged, tampered, malformed): logged cut to CALLBACK_REFUSED_LOG_BYTES, not accepted;
 * - another merchant's (validly signed): anomaly once, logged, accepted (a re-send changes nothing);
 * - `paid`: an unknown payment is not accepted (it may race our own pre-pay commit; the gateway
 *   re-sends); a payment already SUCCESS is accepted from that one read with no write; otherwise the one
 *   success path (`PaymentSuccessService.apply`: marker, amount and channel checks, order side) with the
 *   log row written in its transaction — a wrong amount is an anomaly, never paid, accepted;
 * - `refund_succeeded` / `refund_failed`: the one refund apply function; a refund number we do not know
 *   is an anomaly (accepted); a failure for a refund that succeeded is a conflict anomaly.
 *
 * Every notify gets its log row but an already-paid copy (counted in oncepay_callback_duplicates_total
 * instead, as for Alipay and WeChat); the answer is "accept" only if that row is durable. No Redis and no
 * gateway call on this path. Channels use it as they move onto it (UnionPay first; Alipay and WeChat
 * still run their own services, see docs/architecture.md).
 */
@Injectable()
export class NotifyPipeline {
  private readonly logger = new Logger(NotifyPipeline.name);
  private readonly duplicates: Counter<'channel'>;

  constructor(
    private readonly log: CallbackLogRepository,
    private readonly payments: PaymentRepository,
    private readonly success: PaymentSuccessService,
    private readonly refunds: RefundRepository,
    private readonly refundApply: RefundApplyService,
    @Inject(callbackConfig.KEY) private readonly cfg: ConfigType<typeof callbackConfig>,
    metrics: MetricsService,
  ) {
    this.duplicates = callbackDuplicates(metrics);
  }

  /** `read` null: the body is not a notify at all (`problem` says why). */
  async handle(
    channel: PaymentChannel,
    rawBody: string,
    read: NotifyRead | { problem: string },
  ): Promise<PipelineResult> {
    if ('problem' in read) {
      return this.logged(channel, this.cut(rawBody), {}, 'MALFORMED', false, { detail: read.problem });
    }
    try {
      if (!read.ok) {
        if (read.code === 'WRONG_MERCHANT') {
          const no = read.keys.out_trade_no;
          if (no) await this.payments.recordAnomaly(null, no, 'APP_MISMATCH', read.reason, { once: true });
          return this.logged(channel, rawBody, read.keys, 'APP_MISMATCH', true, {
            verified: true,
            detail: read.reason,
          });
        }
        this.logger.warn(`${channel} notify refused: ${read.code} (${read.reason})`);
        return this.logged(channel, this.cut(rawBody), read.keys, read.code, false, { detail: read.reason });
      }
      return await this.apply(channel, rawBody, read.keys, read.event);
    } catch (err) {
      this.logger.error(`${channel} notify failed: ${(err as Error).message}`);
      const keys = 'keys' in read ? read.keys : {};
      return this.logged(channel, rawBody, keys, 'ERROR', false, {
        verified: true,
        detail: (err as Error).message,
      });
    }
  }

  private async apply(
    channel: PaymentChannel,
    rawBody: string,
    keys: NotifyLogKeys,
    e: VerifiedEvent,
  ): Promise<PipelineResult> {
    const v = { verified: true };
    if (e.kind === 'ignored')
      return this.logged(channel, rawBody, keys, 'IGNORED', true, { ...v, detail: e.detail });
    if (e.kind === 'paid') {
      const payment = await this.payments.findByPaymentNo(null, e.paymentNo);
      if (!payment) {
        this.logger.warn(
          `${channel} notify for unknown payment ${e.paymentNo}: not accepted, the gateway re-sends`,
        );
        return this.logged(channel, rawBody, keys, 'UNKNOWN_TRADE', false, v);
      }
      if (payment.status === 'SUCCESS') {
        this.duplicates.inc({ channel }); // one read, no row: counted instead (callback-metrics.ts)
        return { outcome: 'ALREADY_PAID', accept: true };
      }
      let journaled = false;
      const r = await this.success.apply(
        {
          paymentNo: payment.paymentNo,
          channel,
          channelTradeNo: e.tradeNo,
          amount: e.amount ?? -1, // not an amount: the success path records AMOUNT_MISMATCH
          paidAt: e.paidAt,
          source: 'callback',
        },
        {
          payment,
          journal: async (m) => {
            await this.log.insertReceipt(m, channel, rawBody, keys as NotifyParams, 'APPLIED', {
              verified: true,
            });
            journaled = true;
          },
        },
      );
      const outcome = r.anomaly === 'AMOUNT_MISMATCH' ? 'AMOUNT_MISMATCH' : OUTCOME_OF[r.outcome];
      if (journaled) return { outcome, accept: true };
      const detail =
        r.anomaly === 'AMOUNT_MISMATCH'
          ? `notify amount ${e.amount} != payment amount ${payment.amount} fen`
          : r.anomaly;
      return this.logged(channel, rawBody, keys, outcome, true, { ...v, detail });
    }
    const refund = await this.refunds.findByRefundNo(null, e.refundNo);
    if (!refund) {
      const detail = `${e.kind} for refund ${e.refundNo} (${e.amount} fen), which is not one of ours`;
      this.logger.error(detail);
      return this.logged(channel, rawBody, keys, 'REFUND_ANOMALY', true, { ...v, detail });
    }
    if (e.kind === 'refund_succeeded') {
      const r = await this.refundApply.applySucceeded(refund.refundNo, 'notify', channel, e.amount ?? -1);
      return this.logged(channel, rawBody, keys, REFUND_OUTCOME[r], true, { ...v, detail: refund.refundNo });
    }
    if (refund.status === 'SUCCEEDED') {
      const detail = `refund ${refund.refundNo} reported failed (${e.reason}) after it succeeded`;
      await this.payments.recordAnomaly(null, refund.paymentNo, 'REFUND_STATUS_CONFLICT', detail, {
        once: true,
      });
      return this.logged(channel, rawBody, keys, 'REFUND_ANOMALY', true, { ...v, detail });
    }
    const f = await this.refundApply.fail(
      refund.refundNo,
      `gateway notify: ${e.reason ?? 'failed'}`,
      channel,
    );
    const outcome =
      f === 'failed' ? 'REFUND_FAILED' : f === 'anomaly' ? 'REFUND_ANOMALY' : 'REFUND_DUPLICATE';
    return this.logged(channel, rawBody, keys, outcome, true, {
      ...v,
      detail: refund.refundNo,
    });
  }

  /** The log row on its own; the result stands only if the row is durable (else: not accepted). */
  private async logged(
    channel: string,
    rawBody: string,
    keys: NotifyLogKeys,
    outcome: CallbackOutcome,
    accept: boolean,
    opts: { verified?: boolean; detail?: string },
  ): Promise<PipelineResult> {
    try {
      await this.log.insertReceipt(null, channel, rawBody, keys as NotifyParams, outcome, {
        ...opts,
        done: accept,
      });
      return { outcome, accept };
    } catch (err) {
      this.logger.error(`callback log write failed, not accepted: ${(err as Error).message}`);
      return { outcome: 'ERROR', accept: false };
    }
  }

  private cut(rawBody: string): string {
    return rawBody.length > this.cfg.refusedLogBytes ? rawBody.slice(0, this.cfg.refusedLogBytes) : rawBody;
  }
}
