import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Counter } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service';
import { callbackConfig } from '../config/configuration';
import { parseNotify } from './alipay-notify';
import { CallbackBufferWorker } from './callback-buffer.worker';
import { CallbackLogRepository } from './callback-log.repository';
import { NotifyHandler } from './notify-handler.service';
import { PaymentPort } from './payment-port';

export const ALIPAY = 'alipay';

/**
 * Receives Alipay notifies (POST /v1/callbacks/alipay) and answers `success` or `fail`.
 *
 * Sync mode (default): log the raw notify (one row per receipt) → verify the RSA2 signature
 * (forged → `fail`, nothing changes) → NotifyHandler rules → answer after the commit.
 * Buffered mode: verify → append once per (notify_id, trade_status) with INSERT IGNORE → `success`;
 * CallbackBufferWorker applies the log through the same NotifyHandler.
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

  constructor(
    private readonly log: CallbackLogRepository,
    private readonly handler: NotifyHandler,
    private readonly payments: PaymentPort,
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

  private async receiveSync(rawBody: string, problem?: string): Promise<'success' | 'fail'> {
    const parsed = parseNotify(rawBody);
    const params = parsed.params;
    const error = problem ?? parsed.error;
    // Verified before it is logged (checking changes nothing): a notify that verifies is logged whole,
    // before anything is applied; a refused one is logged cut to CALLBACK_REFUSED_LOG_BYTES, so unsigned
    // posts cannot flood the table.
    const verified = !error && (await this.verify(params));
    let logId: string;
    try {
      logId = await this.log.insertReceipt(ALIPAY, verified ? rawBody : this.refused(rawBody, error), params);
    } catch (err) {
      this.logger.error(`callback log write failed, answered fail: ${(err as Error).message}`);
      return 'fail';
    }
    if (error) {
      await this.finish(logId, 'MALFORMED', { detail: error, done: false });
      return 'fail';
    }
    if (!verified) {
      this.logger.warn(`notify ${params.notify_id} for ${params.out_trade_no}: bad signature, answered fail`);
      await this.finish(logId, 'BAD_SIGNATURE', { done: false });
      return 'fail';
    }
    try {
      const d = await this.handler.handle(params);
      await this.finish(logId, d.outcome, { verified: true, detail: d.detail, done: d.ack === 'success' });
      return d.ack;
    } catch (err) {
      this.logger.error(
        `notify ${params.notify_id} for ${params.out_trade_no} failed: ${(err as Error).message}`,
      );
      await this.finish(logId, 'ERROR', { verified: true, detail: (err as Error).message, done: false });
      return 'fail';
    }
  }

  private async receiveBuffered(rawBody: string, problem?: string): Promise<'success' | 'fail'> {
    const parsed = parseNotify(rawBody);
    const params = parsed.params;
    const error = problem ?? parsed.error;
    if (error || !(await this.verify(params))) {
      // forged or malformed: kept as a plain receipt (dedup NULL, so it can never take a real slot), cut short
      try {
        const id = await this.log.insertReceipt(ALIPAY, this.refused(rawBody, error), params);
        await this.finish(id, error ? 'MALFORMED' : 'BAD_SIGNATURE', { detail: error, done: false });
      } catch (err) {
        this.logger.error(`callback log write failed: ${(err as Error).message}`);
      }
      return 'fail';
    }
    try {
      if (await this.log.appendBuffered(ALIPAY, rawBody, params)) this.worker.nudge();
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
      return await this.payments.verifyNotify(params);
    } catch (err) {
      this.logger.warn(`signature check threw: ${(err as Error).message}`);
      return false;
    }
  }

  /** Best effort: the outcome column is bookkeeping; the decision is already durable (or not made). */
  private async finish(
    id: string,
    outcome: Parameters<CallbackLogRepository['finish']>[1],
    opts: Parameters<CallbackLogRepository['finish']>[2],
  ): Promise<void> {
    this.outcomes.inc({ outcome });
    try {
      await this.log.finish(id, outcome, opts);
    } catch (err) {
      this.logger.warn(`callback log ${id} outcome not recorded: ${(err as Error).message}`);
    }
  }
}
