import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Counter } from 'prom-client';
import { EntityManager } from 'typeorm';
import { MetricsService } from '../common/metrics/metrics.service';
import { callbackConfig } from '../config/configuration';
import {
  type NotifyAdapter,
  type NotifyLogKeys,
  type NotifyRead,
  type NotifyVerdict,
  type PaymentChannel,
  PaymentCloseService,
  PaymentFacts,
  type RawNotify,
  RefundApplyService,
  type SuccessOutcome,
  type VerifiedEvent,
} from '../payment';
import { callbackDuplicates } from './callback-metrics';
import { CallbackOutcome } from './callback-log.entity';
import { CallbackLogRepository } from './callback-log.repository';
import { DEDUP_STRATEGY, type DedupStrategy } from './strategies/dedup-strategy';

/** What became of a notify: its log outcome, and whether the gateway may stop re-sending (`accept`). */
export interface PipelineResult extends NotifyVerdict {
  outcome: CallbackOutcome;
  /** true only once the outcome is durable (applied, a duplicate, a recorded anomaly, ignored, buffered). */
  accept: boolean;
}

/**
 * Writes a decision's log: sync mode inserts the notify's t_callback_log row (inside `m`, the apply's
 * transaction, when given: one commit), buffered mode finishes the row appended in the request.
 */
export type NotifyJournal = (
  m: EntityManager | null,
  outcome: CallbackOutcome,
  opts: { verified: boolean; detail?: string; done: boolean },
) => Promise<void>;

type Event<K extends VerifiedEvent['kind']> = Extract<VerifiedEvent, { kind: K }>;

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
 * THE notify pipeline, for every channel. A channel's adapter (src/payment/channels/<name>/) reads the
 * raw request into one verified event or a refusal and renders the verdict as its gateway's answer;
 * every rule is here, once:
 *
 * - not a notify (not a form / JSON, over the body cap), forged, tampered, replayed, undecryptable:
 *   logged (cut to CALLBACK_REFUSED_LOG_BYTES unless the signature held), not accepted, nothing else;
 * - the channel's keys do not load: logged cut, not accepted (the gateway re-sends once they are fixed);
 * - another merchant's (validly signed): anomaly once (APP_MISMATCH / SELLER_MISMATCH), accepted;
 * - a payment we do not know: not accepted (it may race our own pre-pay commit; the gateway re-sends);
 * - `paid`: a payment already SUCCESS is accepted from that one read with no write (counted in
 *   oncepay_callback_duplicates_total); otherwise the dedup strategy — `unique_key`, the one success path
 *   `PaymentSuccessService.apply` (marker, amount and channel checks, order side) — with the log row
 *   written in its transaction; a wrong amount is an anomaly, never paid, accepted;
 * - `closed` (Alipay TRADE_CLOSED): a wrong amount is an anomaly; a PENDING payment is closed by
 *   `PaymentCloseService.closePending` (which refuses another channel's payment: CHANNEL_MISMATCH); after a
 *   success it is a full refund or a stale close, recorded as REFUND_OR_LATE_CLOSE and never un-paying;
 * - `refund_succeeded` / `refund_failed`: the one refund apply function; a refund number we do not know,
 *   or of another payment, is an anomaly UNKNOWN_REFUND (accepted); a failure for a refund that
 *   succeeded is a conflict anomaly.
 *
 * Every notify gets its log row but an already-paid copy; the answer is "accept" only once that row is
 * durable. Buffered mode (CALLBACK_MODE=buffered, channels whose body carries its signature: Alipay,
 * UnionPay) appends the verified notify once per (channel, notify_id, trade_status) and accepts;
 * CallbackBufferWorker then runs `decide` on it. No Redis and no gateway call on this path.
 */
@Injectable()
export class NotifyPipeline {
  private readonly logger = new Logger(NotifyPipeline.name);
  private readonly duplicates: Counter<'channel'>;
  private readonly answers: Counter<'channel' | 'mode' | 'answer'>;
  private readonly outcomes: Counter<'channel' | 'outcome'>;
  private readonly refusedCount: Counter<'channel' | 'reason' | 'truncated'>;
  private readonly appended: Array<() => void> = [];

  constructor(
    private readonly log: CallbackLogRepository,
    private readonly facts: PaymentFacts,
    @Inject(DEDUP_STRATEGY) private readonly strategy: DedupStrategy,
    private readonly closer: PaymentCloseService,
    private readonly refundApply: RefundApplyService,
    @Inject(callbackConfig.KEY) private readonly cfg: ConfigType<typeof callbackConfig>,
    metrics: MetricsService,
  ) {
    this.duplicates = callbackDuplicates(metrics);
    this.answers = metrics.counter(
      'oncepay_callback_answers_total',
      'Gateway notifies by channel, mode and answer (accepted, or resend)',
      ['channel', 'mode', 'answer'],
    );
    this.outcomes = metrics.counter(
      'oncepay_callback_outcomes_total',
      'Notify outcomes decided in the request',
      ['channel', 'outcome'],
    );
    this.refusedCount = metrics.counter(
      'oncepay_callback_refused_total',
      'Notifies refused before they were applied (malformed, bad signature, undecryptable), by whether the log cut them',
      ['channel', 'reason', 'truncated'],
    );
  }

  /** Called after each buffered append (the worker registers its nudge). */
  onAppended(fn: () => void): void {
    this.appended.push(fn);
  }

  /**
   * One notify as received, through the adapter and the rules, to the gateway's answer.
   * @param problem the body is not a notify at all (not a form / JSON, over the body cap).
   */
  async receive<A>(
    adapter: NotifyAdapter<A>,
    raw: RawNotify,
    problem?: { message: string; status?: number },
  ): Promise<A> {
    const buffered = this.cfg.mode === 'buffered' && !!adapter.decode;
    const r = await this.verdict(adapter, raw, problem, buffered);
    this.answers.inc({
      channel: adapter.channel,
      mode: buffered ? 'buffered' : 'sync',
      answer: r.accept ? 'accepted' : 'resend',
    });
    this.outcomes.inc({ channel: adapter.channel, outcome: r.outcome });
    return adapter.answer(r);
  }

  private async verdict<A>(
    adapter: NotifyAdapter<A>,
    raw: RawNotify,
    problem: { message: string; status?: number } | undefined,
    buffered: boolean,
  ): Promise<PipelineResult> {
    const channel = adapter.channel;
    if (problem) {
      const r = await this.refuse(channel, raw.body, {}, 'MALFORMED', false, problem.message);
      return { ...r, problem };
    }
    let read: NotifyRead;
    try {
      read = await adapter.read(raw);
    } catch (err) {
      // nothing verified it: logged cut like any refused notify, re-sent once the keys are fixed
      this.logger.error(`${channel} keys unavailable: ${(err as Error).message}`);
      const journal = this.rowJournal(channel, this.cut(raw.body), {});
      const r = await this.note(journal, 'ERROR', false, `${channel} keys unavailable`, false);
      return { ...r, refusal: 'KEYS_UNAVAILABLE' };
    }
    if (!read.ok) return this.refused(channel, raw.body, read);
    if (buffered) return this.append(channel, raw.body, read.keys);
    try {
      return await this.decide(channel, read.event, this.rowJournal(channel, raw.body, read.keys));
    } catch (err) {
      this.logger.error(`${channel} notify ${read.keys.notify_id} failed: ${(err as Error).message}`);
      return this.note(this.rowJournal(channel, raw.body, read.keys), 'ERROR', false, (err as Error).message);
    }
  }

  /**
   * The rules for one verified event (sync mode in the request, buffered mode in the worker). Writes the
   * outcome through `journal` (in the apply's transaction when something was applied). Database errors
   * propagate: not accepted, the gateway (or the worker) tries again.
   */
  async decide(channel: PaymentChannel, e: VerifiedEvent, journal: NotifyJournal): Promise<PipelineResult> {
    if (e.kind === 'paid') return this.paid(channel, e, journal);
    if (e.kind === 'closed') return this.closed(channel, e, journal);
    if (e.kind === 'ignored') {
      if (e.paymentNo && !(await this.facts.payment(e.paymentNo))) {
        return this.unknownTrade(channel, e.paymentNo, journal);
      }
      return this.note(journal, 'IGNORED', true, e.detail);
    }
    return this.refund(channel, e, journal);
  }

  private async paid(channel: PaymentChannel, e: Event<'paid'>, journal: NotifyJournal) {
    const payment = await this.facts.payment(e.paymentNo);
    if (!payment) return this.unknownTrade(channel, e.paymentNo, journal);
    // seen before: answered from this one read (sync mode writes no row for it, see rowJournal)
    if (payment.status === 'SUCCESS') return this.note(journal, 'ALREADY_PAID', true);
    let journaled = false;
    const r = await this.strategy.markPaid(
      {
        paymentNo: payment.paymentNo,
        channel,
        channelTradeNo: e.tradeNo,
        amount: e.amount ?? -1, // not an amount: the success path records AMOUNT_MISMATCH
        paidAt: e.paidAt,
        source: 'callback',
      },
      payment,
      async (m) => {
        await journal(m, 'APPLIED', { verified: true, done: true });
        journaled = true;
      },
    );
    const mismatch = r.anomaly === 'AMOUNT_MISMATCH';
    const outcome = mismatch ? 'AMOUNT_MISMATCH' : OUTCOME_OF[r.outcome];
    if (journaled) return { outcome, accept: true };
    const detail = mismatch ? `notify amount ${e.amount} != payment amount ${payment.amount} fen` : r.anomaly;
    if (mismatch)
      this.logger.error(`validly signed ${channel} notify rejected for ${payment.paymentNo}: ${detail}`);
    return this.note(journal, outcome, true, detail);
  }

  private async closed(channel: PaymentChannel, e: Event<'closed'>, journal: NotifyJournal) {
    const no = e.paymentNo;
    const payment = await this.facts.payment(no);
    if (!payment) return this.unknownTrade(channel, no, journal);
    if (e.amount !== payment.amount) {
      const detail = `close notify amount ${e.amount} != payment amount ${payment.amount} fen`;
      this.logger.error(`validly signed ${channel} notify rejected for ${no}: ${detail}`);
      await this.facts.recordAnomalyOnce(no, 'AMOUNT_MISMATCH', detail);
      return this.note(journal, 'AMOUNT_MISMATCH', true, detail);
    }
    if (payment.status === 'PENDING') {
      let journaled = false;
      const closed = await this.closer.closePending(no, channel, `gateway notify ${e.notifyId}: closed`, {
        journal: async (m) => {
          await journal(m, 'CLOSED', { verified: true, done: true });
          journaled = true;
        },
      });
      if (closed === 'closed')
        return journaled ? { outcome: 'CLOSED' as const, accept: true } : this.note(journal, 'CLOSED', true);
      if (closed === 'channel_mismatch') {
        // a payment of another channel (its trade may still be payable there): nothing closed
        return this.note(
          journal,
          'CHANNEL_MISMATCH',
          true,
          `close from ${channel} for a ${payment.channel} payment`,
        );
      }
      // lost a race: re-read and decide on what won
      if ((await this.facts.payment(no))?.status !== 'SUCCESS')
        return this.note(journal, 'ALREADY_CLOSED', true);
    } else if (payment.status === 'CLOSED') {
      return this.note(journal, 'ALREADY_CLOSED', true);
    }
    // paid here: a close after success is a full refund or a stale close — recorded, never un-paying
    this.logger.warn(`${channel} close notify for paid payment ${no}: recorded as REFUND_OR_LATE_CLOSE`);
    await this.facts.recordAnomalyOnce(
      no,
      'REFUND_OR_LATE_CLOSE',
      `close notify ${e.notifyId} after success`,
    );
    return this.note(journal, 'REFUND_OR_LATE_CLOSE', true);
  }

  private async refund(
    channel: PaymentChannel,
    e: Event<'refund_succeeded' | 'refund_failed'>,
    journal: NotifyJournal,
  ): Promise<PipelineResult> {
    const payment = e.paymentNo ? await this.facts.payment(e.paymentNo) : null;
    if (e.paymentNo && !payment) return this.unknownTrade(channel, e.paymentNo, journal);
    const refund = await this.facts.refund(e.refundNo);
    const total = e.refundedTotal;
    if (
      !refund ||
      (payment && refund.paymentNo !== payment.paymentNo) ||
      (payment && total !== undefined && (total === null || total > payment.amount))
    ) {
      // a refund we never asked for (made in the merchant console?) or a malformed one: a person looks
      const of = payment ? ` of payment ${payment.paymentNo}` : '';
      const detail = `${e.kind} for refund ${e.refundNo}${e.amount != null ? ` (${e.amount} fen)` : ''}: not a refund of ours${of}`;
      this.logger.error(detail);
      if (payment) await this.facts.recordAnomalyOnce(payment.paymentNo, 'UNKNOWN_REFUND', detail);
      return this.note(journal, 'REFUND_ANOMALY', true, detail);
    }
    if (e.kind === 'refund_succeeded') {
      const amount = e.amount === undefined ? undefined : (e.amount ?? -1);
      const r = await this.refundApply.applySucceeded(refund.refundNo, 'notify', channel, amount);
      return this.note(journal, REFUND_OUTCOME[r], true, refund.refundNo);
    }
    if (refund.status === 'SUCCEEDED') {
      const detail = `refund ${refund.refundNo} reported failed (${e.reason}) after it succeeded`;
      await this.facts.recordAnomalyOnce(refund.paymentNo, 'REFUND_STATUS_CONFLICT', detail);
      return this.note(journal, 'REFUND_ANOMALY', true, detail);
    }
    // no money moved under this number (as the refund query's FAILED): the reservation is released
    const f = await this.refundApply.fail(
      refund.refundNo,
      `gateway notify: ${e.reason ?? 'failed'}`,
      channel,
    );
    const outcome =
      f === 'failed' ? 'REFUND_FAILED' : f === 'anomaly' ? 'REFUND_ANOMALY' : 'REFUND_DUPLICATE';
    return this.note(journal, outcome, true, refund.refundNo);
  }

  private unknownTrade(channel: string, paymentNo: string, journal: NotifyJournal): Promise<PipelineResult> {
    this.logger.warn(
      `${channel} notify for unknown payment ${paymentNo}: not accepted, the gateway re-sends`,
    );
    return this.note(journal, 'UNKNOWN_TRADE', false, 'unknown payment');
  }

  private async refused(
    channel: PaymentChannel,
    rawBody: string,
    read: Extract<NotifyRead, { ok: false }>,
  ): Promise<PipelineResult> {
    if (read.code === 'WRONG_MERCHANT') {
      const kind = read.anomaly ?? 'APP_MISMATCH';
      const no = read.keys.out_trade_no;
      this.logger.error(
        `validly signed ${channel} notify of another merchant (${no ?? 'no payment'}): ${read.reason}`,
      );
      if (no) await this.facts.recordAnomalyOnce(no, kind, read.reason).catch(() => undefined);
      return this.note(this.rowJournal(channel, rawBody, read.keys), kind, true, read.reason);
    }
    this.logger.warn(`${channel} notify refused: ${read.code} (${read.reason})`);
    const r = await this.refuse(channel, rawBody, read.keys, read.code, read.verified, read.reason);
    return { ...r, refusal: read.wire ?? read.code };
  }

  /** A refused notify's row: whole if the signature held, else cut (unsigned posts cannot flood the table). */
  private refuse(
    channel: PaymentChannel,
    rawBody: string,
    keys: NotifyLogKeys,
    outcome: 'MALFORMED' | 'BAD_SIGNATURE' | 'UNDECRYPTABLE',
    verified: boolean,
    detail: string,
  ): Promise<PipelineResult> {
    const body = verified ? rawBody : this.cut(rawBody);
    this.refusedCount.inc({ channel, reason: outcome.toLowerCase(), truncated: String(body !== rawBody) });
    return this.note(this.rowJournal(channel, body, keys), outcome, false, detail, verified);
  }

  private async append(
    channel: PaymentChannel,
    rawBody: string,
    keys: NotifyLogKeys,
  ): Promise<PipelineResult> {
    try {
      if (await this.log.appendBuffered(null, channel, rawBody, keys)) for (const fn of this.appended) fn();
      else this.duplicates.inc({ channel }); // this (notify_id, trade_status) is on record already
      return { outcome: 'BUFFERED', accept: true };
    } catch (err) {
      this.logger.error(`buffered append failed, not accepted: ${(err as Error).message}`);
      return { outcome: 'ERROR', accept: false };
    }
  }

  /**
   * Sync mode's journal: the notify's own row. An already-paid copy writes none (one read, no write, so
   * a re-send storm costs the database nothing) and is counted instead.
   */
  private rowJournal(channel: PaymentChannel, rawBody: string, keys: NotifyLogKeys): NotifyJournal {
    return async (m, outcome, opts) => {
      if (outcome === 'ALREADY_PAID') {
        this.duplicates.inc({ channel });
        return;
      }
      await this.log.insertReceipt(m, channel, rawBody, keys, outcome, opts);
    };
  }

  /** The outcome's log on its own; it stands only if durable (else: not accepted, the gateway re-sends). */
  private async note(
    journal: NotifyJournal,
    outcome: CallbackOutcome,
    accept: boolean,
    detail?: string,
    verified = true,
  ): Promise<PipelineResult> {
    try {
      await journal(null, outcome, { verified, detail, done: accept });
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
