import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Counter } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service';
import { callbackConfig } from '../config/configuration';
import { WechatKeysProvider } from '../payment/channels/wechat/wechat-keys.provider';
import {
  NotifyErrorCode,
  WechatHeaders,
  WechatNotifyReader,
  WechatRefund,
  WechatTransaction,
} from '../payment/channels/wechat/wechat-notify';
import { PaymentSuccessService, SuccessOutcome } from '../payment/payment-success.service';
import { PaymentRepository } from '../payment/payment.repository';
import { RefundApplyService } from '../payment/refund/refund-apply.service';
import { RefundRepository } from '../payment/refund/refund.repository';
import type { NotifyParams } from './alipay-notify';
import { CallbackOutcome } from './callback-log.entity';
import { CallbackLogRepository } from './callback-log.repository';
import { callbackDuplicates } from './callback-metrics';

export const WECHAT = 'wechat' as const;

/**
 * What WeChat is answered: 204 with no body (accepted: stop re-sending), or a 4xx/5xx with
 * `{"code":"FAIL","message":…}` (WeChat re-sends on its schedule).
 */
export type WechatAnswer = { status: 204 } | { status: number; body: { code: 'FAIL'; message: string } };

const fail = (status: number, message: string): WechatAnswer => ({
  status,
  body: { code: 'FAIL', message },
});
const ACCEPTED: WechatAnswer = { status: 204 };

/** The reader's refusals: signature-level ones are 401, the rest 400. */
const STATUS_OF: Record<NotifyErrorCode, number> = {
  MISSING_HEADERS: 401,
  STALE_TIMESTAMP: 401,
  UNKNOWN_SERIAL: 401,
  BAD_SIGNATURE: 401,
  MALFORMED: 400,
  UNKNOWN_EVENT: 400,
  UNDECRYPTABLE: 400,
  WRONG_MERCHANT: 400,
};
const OUTCOME_OF_REFUSAL: Record<NotifyErrorCode, CallbackOutcome> = {
  MISSING_HEADERS: 'BAD_SIGNATURE',
  STALE_TIMESTAMP: 'BAD_SIGNATURE',
  UNKNOWN_SERIAL: 'BAD_SIGNATURE',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  MALFORMED: 'MALFORMED',
  UNKNOWN_EVENT: 'MALFORMED',
  UNDECRYPTABLE: 'UNDECRYPTABLE',
  WRONG_MERCHANT: 'APP_MISMATCH',
};
const OUTCOME_OF: Record<SuccessOutcome, CallbackOutcome> = {
  applied: 'APPLIED',
  duplicate: 'DUPLICATE',
  anomaly: 'ANOMALY',
};

/**
 * Receives WeChat Pay v3 notifies (POST /v1/callbacks/wechat), in the order the protocol demands:
 *
 * 1. the signature headers over the raw body (`Wechatpay-Timestamp` within ±300 s, a known
 *    `Wechatpay-Serial`, SHA256withRSA) — a forged or replayed notify is refused (401) before anything
 *    is decrypted; then the AES-256-GCM resource (400 when it does not decrypt); then `mchid`/`appid`
 *    (WechatNotifyReader);
 * 2. TRANSACTION.SUCCESS: `out_trade_no` must be a known payment (else 404: it may race our own
 *    pre-pay commit, and WeChat re-sends); `amount.total` and the channel are checked by the one success
 *    path (`PaymentSuccessService.apply`, marker `t_uq_dipose('PAYMENT_SUCCEEDED', paymentNo)`), which
 *    records a mismatch as an anomaly and never pays it (answered 204, as Alipay's `success`: a re-send
 *    would not change the facts);
 * 3. REFUND.SUCCESS → the one refund apply function (`RefundApplyService.applySucceeded`, as Alipay's
 *    refund notify); REFUND.CLOSED / REFUND.ABNORMAL → the refund failed at WeChat (`fail`, the
 *    reservation released); a refund number we do not know, or of another payment or amount → anomaly
 *    UNKNOWN_REFUND.
 *
 * Every notify gets its t_callback_log row — written in the apply's own transaction when something was
 * applied (one commit), otherwise on its own before answering; refused ones, and those that could not be
 * verified because the WeChat keys do not load (503, re-sent), cut to CALLBACK_REFUSED_LOG_BYTES — except
 * a copy for a payment already SUCCESS: answered 204 from one read with no write (a re-send storm costs
 * the database nothing), and counted in `oncepay_callback_duplicates_total{channel="wechat"}` instead. A
 * notify whose outcome could not be made durable is 500 (re-sent). No Redis and no gateway call on this
 * path. (CALLBACK_MODE=buffered is Alipay's: WeChat notifies are always
 * applied in the request — a buffered row would have to keep the signature headers to be re-verified.)
 */
@Injectable()
export class WechatCallbackService {
  private readonly logger = new Logger(WechatCallbackService.name);
  private readonly reader: WechatNotifyReader;
  private readonly answers: Counter<'status' | 'outcome'>;
  private readonly duplicates: Counter<'channel'>;

  constructor(
    keys: WechatKeysProvider,
    private readonly log: CallbackLogRepository,
    private readonly payments: PaymentRepository,
    private readonly success: PaymentSuccessService,
    private readonly refunds: RefundRepository,
    private readonly refundApply: RefundApplyService,
    @Inject(callbackConfig.KEY) private readonly cfg: ConfigType<typeof callbackConfig>,
    metrics: MetricsService,
  ) {
    this.reader = new WechatNotifyReader(() => keys.get());
    this.duplicates = callbackDuplicates(metrics);
    this.answers = metrics.counter(
      'oncepay_wechat_callback_answers_total',
      'WeChat notifies by HTTP answer and outcome',
      ['status', 'outcome'],
    );
  }

  /**
   * @param problem the body is not a notify at all (not JSON, too large): logged cut, 415/413.
   */
  async receive(
    headers: WechatHeaders,
    rawBody: string,
    problem?: { status: number; message: string },
  ): Promise<WechatAnswer> {
    let params: NotifyParams = envelopeParams(rawBody);
    let outcome: CallbackOutcome = 'ERROR';
    let answer: WechatAnswer;
    try {
      if (problem) {
        outcome = 'MALFORMED';
        answer = await this.logged(
          this.cut(rawBody),
          params,
          outcome,
          fail(problem.status, problem.message),
          { detail: problem.message },
        );
      } else {
        const read = await this.reader.read(headers, rawBody).catch((err: Error) => {
          this.logger.error(`WeChat keys unavailable: ${err.message}`);
          return null;
        });
        if (!read) {
          // nothing verified it: logged cut like any refused notify (a 15 KB body is not kept whole), and
          // answered 503 so WeChat re-sends once the keys are fixed
          answer = await this.logged(this.cut(rawBody), params, outcome, fail(503, 'keys unavailable'), {
            verified: false,
            detail: 'WeChat keys unavailable',
          });
        } else if (!read.ok) {
          outcome = OUTCOME_OF_REFUSAL[read.code];
          const verified = STATUS_OF[read.code] !== 401;
          this.logger.warn(`WeChat notify refused: ${read.code} (${read.reason})`);
          answer = await this.logged(
            verified ? rawBody : this.cut(rawBody),
            params,
            outcome,
            fail(STATUS_OF[read.code], read.code),
            { verified, detail: `${read.code}: ${read.reason}` },
          );
        } else if (read.eventType === 'TRANSACTION.SUCCESS') {
          params = { ...params, out_trade_no: read.transaction.outTradeNo };
          [outcome, answer] = await this.onTransaction(rawBody, params, read.transaction);
        } else {
          params = { ...params, out_trade_no: read.refund.outTradeNo };
          [outcome, answer] = await this.onRefund(rawBody, params, read.eventType, read.refund);
        }
      }
    } catch (err) {
      this.logger.error(`WeChat notify ${params.notify_id} failed: ${(err as Error).message}`);
      outcome = 'ERROR';
      answer = await this.logged(rawBody, params, outcome, fail(500, 'not applied; re-send'), {
        verified: true,
        detail: (err as Error).message,
      });
    }
    this.answers.inc({ status: String(answer.status), outcome });
    return answer;
  }

  private async onTransaction(
    rawBody: string,
    params: NotifyParams,
    t: WechatTransaction,
  ): Promise<[CallbackOutcome, WechatAnswer]> {
    const payment = await this.payments.findByPaymentNo(null, t.outTradeNo);
    if (!payment) {
      this.logger.warn(`WeChat notify for unknown out_trade_no ${t.outTradeNo}: 404, WeChat re-sends`);
      const a = await this.logged(rawBody, params, 'UNKNOWN_TRADE', fail(404, 'unknown out_trade_no'), {
        verified: true,
        done: false,
      });
      return ['UNKNOWN_TRADE', a];
    }
    if (t.tradeState !== 'SUCCESS') {
      const a = await this.logged(rawBody, params, 'IGNORED', ACCEPTED, {
        verified: true,
        detail: `trade_state ${t.tradeState}`,
      });
      return ['IGNORED', a];
    }
    // seen before: answered from this one read, no write (as Alipay's ALREADY_PAID), only counted
    if (payment.status === 'SUCCESS') {
      this.duplicates.inc({ channel: WECHAT });
      return ['ALREADY_PAID', ACCEPTED];
    }
    let journaled = false;
    const r = await this.success.apply(
      {
        paymentNo: payment.paymentNo,
        channel: 'wechat',
        channelTradeNo: t.transactionId,
        amount: t.total,
        paidAt: t.successTime ?? new Date(),
        source: 'callback',
      },
      {
        payment,
        journal: async (m) => {
          await this.log.insertReceipt(m, WECHAT, rawBody, params, 'APPLIED', { verified: true });
          journaled = true;
        },
      },
    );
    const outcome: CallbackOutcome =
      r.anomaly === 'AMOUNT_MISMATCH' ? 'AMOUNT_MISMATCH' : OUTCOME_OF[r.outcome];
    if (journaled) return [outcome, ACCEPTED];
    const detail =
      r.anomaly === 'AMOUNT_MISMATCH'
        ? `amount.total ${t.total} != payment amount ${payment.amount} fen`
        : r.anomaly;
    return [outcome, await this.logged(rawBody, params, outcome, ACCEPTED, { verified: true, detail })];
  }

  private async onRefund(
    rawBody: string,
    params: NotifyParams,
    eventType: string,
    n: WechatRefund,
  ): Promise<[CallbackOutcome, WechatAnswer]> {
    const refund = await this.refunds.findByRefundNo(null, n.outRefundNo);
    const payment = await this.payments.findByPaymentNo(null, n.outTradeNo);
    if (!payment) {
      const a = await this.logged(rawBody, params, 'UNKNOWN_TRADE', fail(404, 'unknown out_trade_no'), {
        verified: true,
        done: false,
      });
      return ['UNKNOWN_TRADE', a];
    }
    if (!refund || refund.paymentNo !== payment.paymentNo) {
      const detail = `${eventType} ${params.notify_id}: out_refund_no ${n.outRefundNo}, refund ${n.refund}`;
      this.logger.error(`${detail} does not match a refund of payment ${payment.paymentNo}`);
      await this.payments.recordAnomaly(null, payment.paymentNo, 'UNKNOWN_REFUND', detail, { once: true });
      const a = await this.logged(rawBody, params, 'REFUND_ANOMALY', ACCEPTED, { verified: true, detail });
      return ['REFUND_ANOMALY', a];
    }
    let outcome: CallbackOutcome;
    if (eventType === 'REFUND.SUCCESS') {
      const r = await this.refundApply.applySucceeded(refund.refundNo, 'notify', WECHAT, n.refund);
      outcome =
        r === 'applied' ? 'REFUND_APPLIED' : r === 'duplicate' ? 'REFUND_DUPLICATE' : 'REFUND_ANOMALY';
    } else {
      // REFUND.CLOSED / REFUND.ABNORMAL: no money moved under this number (as the refund query's FAILED)
      if (refund.status === 'SUCCEEDED') {
        const detail = `${eventType} for refund ${refund.refundNo}, which succeeded`;
        await this.payments.recordAnomaly(null, payment.paymentNo, 'REFUND_STATUS_CONFLICT', detail, {
          once: true,
        });
        const a = await this.logged(rawBody, params, 'REFUND_ANOMALY', ACCEPTED, { verified: true, detail });
        return ['REFUND_ANOMALY', a];
      }
      const r = await this.refundApply.fail(refund.refundNo, `gateway notify ${eventType}`, WECHAT);
      outcome = r === 'failed' ? 'REFUND_FAILED' : r === 'anomaly' ? 'REFUND_ANOMALY' : 'REFUND_DUPLICATE';
    }
    const a = await this.logged(rawBody, params, outcome, ACCEPTED, {
      verified: true,
      detail: refund.refundNo,
    });
    return [outcome, a];
  }

  /**
   * Writes the notify's log row on its own; the answer stands only if the row is durable (else 500,
   * and WeChat re-sends: the raw body is never lost).
   */
  private async logged(
    rawBody: string,
    params: NotifyParams,
    outcome: CallbackOutcome,
    answer: WechatAnswer,
    opts: { verified?: boolean; detail?: string; done?: boolean },
  ): Promise<WechatAnswer> {
    try {
      await this.log.insertReceipt(null, WECHAT, rawBody, params, outcome, {
        ...opts,
        done: opts.done ?? answer.status === 204,
      });
      return answer;
    } catch (err) {
      this.logger.error(`callback log write failed, answered 500: ${(err as Error).message}`);
      return fail(500, 'not recorded; re-send');
    }
  }

  /** The logged text of a refused notify: at most CALLBACK_REFUSED_LOG_BYTES characters. */
  private cut(rawBody: string): string {
    return rawBody.length > this.cfg.refusedLogBytes ? rawBody.slice(0, this.cfg.refusedLogBytes) : rawBody;
  }
}

/** notify_id and trade_status (the event type) of the log row, read from the envelope without trusting it. */
function envelopeParams(rawBody: string): NotifyParams {
  try {
    const b = JSON.parse(rawBody) as Record<string, unknown>;
    const p: NotifyParams = {};
    if (typeof b.id === 'string') p.notify_id = b.id;
    if (typeof b.event_type === 'string') p.trade_status = b.event_type;
    return p;
  } catch {
    return {};
  }
}
