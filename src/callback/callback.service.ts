import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Counter } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service';
import { callbackConfig } from '../config/configuration';
import { PAYMENT_GATEWAY, PaymentGateway } from '../payment/gateway/payment-gateway';
import { NotifyParams, parseNotify } from './alipay-notify';
import { CallbackBufferWorker } from './callback-buffer.worker';
import { callbackDuplicates } from './callback-metrics';
import { CallbackOutcome } from './callback-log.entity';
import { CallbackLogRepository } from './callback-log.repository';
import { NotifyDecision, NotifyHandler } from './notify-handler.service';

/**
 * Answered from one read, with no write at all: the notify changes nothing and was seen before. Counted
 * in oncepay_callback_duplicates_total{channel} instead of a log row.
 */
const NOT_LOGGED = new Set<CallbackOutcome>(['ALREADY_PAID']);

export const ALIPAY = 'alipay';

/**
 * Receives Alipay notifies (POST /v1/callbacks/alipay) and answers `success` or `fail`.
 *
 * Sync mode (default): verify the RSA2 signature (forged → `fail`, nothing changes, logged) →
 * NotifyHandler rules → one transaction applies the notify and writes its log row with the outcome
 * → answer after that commit. Refused or failed notifies get their log row on their own; an
 * already-paid one is answered from one read and writes no row (counted in
 * oncepay_callback_duplicates_total{channel="alipay"}).
 * Buffered mode: verify → append once per (notify_id, trade_status) with INSERT IGNORE → `success`;
 * CallbackBufferWorker applies the log through the same NotifyHandler; a copy already on record
 * writes nothing and is counted as a duplicate.
 *
 * No Redis and no gateway call on this path: it works while Redis is down, and answers `fail`
 * whenever MySQL could not make the outcome durable.
 */
@Injectable()
export class CallbackService {
  private readonly logger = new Logger(CallbackService.name);
  private readonly answers: Counter<'mode' | 'answer'>;
  private readonly outcomes: Counter<'outcome'>;
  private readonly refusedCount: Counter<'reason' | 'truncated'>;
  private readonly duplicates: Counter<'channel'>;

  constructor(
    private readonly log: CallbackLogRepository,
    private readonly handler: NotifyHandler,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly worker: CallbackBufferWorker,
    @Inject(callbackConfig.KEY) private readonly cfg: ConfigType<typeof callbackConfig>,
    metrics: MetricsService,
  ) {
    this.answers = metrics.counter('oncepay_callback_answers_total', 'Gateway notifies by mode and answer', [
      'mode',
      'answer',
    ]);
    this.refusedCount = metrics.counter(
      'oncepay_callback_refused_total',
      'Notifies refused before they were applied (malformed, bad signature), by whether the log cut them',
      ['reason', 'truncated'],
    );
    this.duplicates = callbackDuplicates(metrics);
    this.outcomes = metrics.counter(
      'oncepay_callback_outcomes_total',
      'Notify outcomes decided in the request',
      ['outcome'],
    );
  }

  /** `problem`: the body is not a notify at all (not a form, unknown charset, too large): logged, `fail`. */
  async receiveAlipay(rawBody: string, problem?: string): Promise<'success' | 'fail'> {
    const answer =
      this.cfg.mode === 'buffered'
        ? await this.receiveBuffered(rawBody, problem)
        : await this.receiveSync(rawBody, problem);
    this.answers.inc({ mode: this.cfg.mode, answer });
    return answer;
  }

  /**
   * Sync mode, one commit on the happy path: the raw log row and its outcome are written by the
   * journal inside the apply's transaction. A separate insert happens only when nothing was applied
   * in a transaction (refused, malformed, forged, a duplicate, an error); an already-paid notify is
   * answered from the handler's one read and writes nothing. A refused notify (malformed, forged) is
   * logged cut to CALLBACK_REFUSED_LOG_BYTES, so unsigned posts cannot flood the table.
   */
  private async receiveSync(rawBody: string, problem?: string): Promise<'success' | 'fail'> {
    const parsed = parseNotify(rawBody);
    const params = parsed.params;
    const error = problem ?? parsed.error;
    if (error) {
      return this.logSeparately(this.refused(rawBody, error), params, 'fail', 'MALFORMED', {
        detail: error,
        done: false,
      });
    }
    if (!(await this.verify(params))) {
      this.logger.warn(`notify ${params.notify_id} for ${params.out_trade_no}: bad signature, answered fail`);
      return this.logSeparately(this.refused(rawBody, undefined), params, 'fail', 'BAD_SIGNATURE', {
        done: false,
      });
    }
    let d: NotifyDecision;
    try {
      d = await this.handler.handle(params, async (m, decision) => {
        await this.log.insertReceipt(m, ALIPAY, rawBody, params, decision.outcome, {
          verified: true,
          detail: decision.detail,
          done: decision.ack === 'success',
        });
      });
    } catch (err) {
      this.logger.error(
        `notify ${params.notify_id} for ${params.out_trade_no} failed: ${(err as Error).message}`,
      );
      return this.logSeparately(rawBody, params, 'fail', 'ERROR', {
        verified: true,
        detail: (err as Error).message,
        done: false,
      });
    }
    this.outcomes.inc({ outcome: d.outcome });
    if (NOT_LOGGED.has(d.outcome)) {
      this.duplicates.inc({ channel: ALIPAY });
      return d.ack;
    }
    if (d.journaled) return d.ack;
    return this.logSeparately(rawBody, params, d.ack, d.outcome, {
      verified: true,
      detail: d.detail,
      done: d.ack === 'success',
    });
  }

  /**
   * The log row of a notify whose outcome was not written with an apply. The answer stands only if
   * the row is durable: `fail` when it could not be written (the gateway re-sends; the raw body is
   * never lost).
   */
  private async logSeparately(
    rawBody: string,
    params: NotifyParams,
    answer: 'success' | 'fail',
    outcome: CallbackOutcome,
    opts: { verified?: boolean; detail?: string; done?: boolean },
  ): Promise<'success' | 'fail'> {
    if (outcome === 'MALFORMED' || outcome === 'BAD_SIGNATURE' || outcome === 'ERROR')
      this.outcomes.inc({ outcome });
    try {
      await this.log.insertReceipt(null, ALIPAY, rawBody, params, outcome, opts);
      return answer;
    } catch (err) {
      this.logger.error(`callback log write failed, answered fail: ${(err as Error).message}`);
      return 'fail';
    }
  }

  private async receiveBuffered(rawBody: string, problem?: string): Promise<'success' | 'fail'> {
    const parsed = parseNotify(rawBody);
    const params = parsed.params;
    const error = problem ?? parsed.error;
    if (error || !(await this.verify(params))) {
      // forged or malformed: kept as a plain receipt (dedup NULL, so it can never take a real slot), cut short
      await this.logSeparately(
        this.refused(rawBody, error),
        params,
        'fail',
        error ? 'MALFORMED' : 'BAD_SIGNATURE',
        {
          detail: error,
          done: false,
        },
      );
      return 'fail';
    }
    try {
      if (await this.log.appendBuffered(null, ALIPAY, rawBody, params)) this.worker.nudge();
      else this.duplicates.inc({ channel: ALIPAY }); // this (notify_id, trade_status) is on record already
      return 'success';
    } catch (err) {
      this.logger.error(`buffered append failed, answered fail: ${(err as Error).message}`);
      return 'fail';
    }
  }

  /** The logged text of a refused notify: at most CALLBACK_REFUSED_LOG_BYTES characters; counted. */
  private refused(rawBody: string, error: string | undefined): string {
    const cut = rawBody.length > this.cfg.refusedLogBytes;
    this.refusedCount.inc({ reason: error ? 'malformed' : 'bad_signature', truncated: String(cut) });
    return cut ? rawBody.slice(0, this.cfg.refusedLogBytes) : rawBody;
  }

  private async verify(params: Record<string, string>): Promise<boolean> {
    try {
      return await this.gateway.verifyNotify(params);
    } catch (err) {
      this.logger.warn(`signature check threw: ${(err as Error).message}`);
      return false;
    }
  }
}
