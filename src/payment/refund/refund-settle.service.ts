import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import type { Queue } from 'bull';
import { QUEUES } from '../../common/queue/queue.constants';
import { paymentConfig } from '../../config/configuration';
import { PAYMENT_GATEWAY, PaymentGateway, RefundResult } from '../gateway/payment-gateway';
import { PaymentRepository } from '../payment.repository';
import { queryOffsetMs } from '../payment-jobs';
import { Refund } from './refund.entity';
import { RefundApplyService, RefundSource } from './refund-apply.service';
import { RefundRepository } from './refund.repository';
import { AnomalyRepository } from '../anomaly/anomaly.repository';
import { LATE_REFUND_NO_PATTERN } from '../anomaly/late-money';

export interface RefundQueryJob {
  refundNo: string;
  /** 1-based number of this query */
  n: number;
}

/** Refund queries follow PAYMENT_QUERY_DELAYS_MS, then doubling gaps (≤ 5 min) for a day; the sweeper after. */
const QUERY_HORIZON_MS = 24 * 3600_000;

/**
 * Talks to the gateway about refunds and never guesses: SUCCEEDED and FAILED answers go to
 * RefundApplyService; PROCESSING and UNKNOWN leave the refund PENDING with a refund query scheduled
 * (Bull, jobId `refund-query:<refundNo>:<n>`). A query that finds no refund under the number retries
 * the refund with the same number and amount (the gateway treats that as the same refund).
 */
@Injectable()
export class RefundSettleService {
  private readonly logger = new Logger(RefundSettleService.name);

  constructor(
    private readonly repo: RefundRepository,
    private readonly payments: PaymentRepository,
    private readonly apply: RefundApplyService,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    @InjectQueue(QUEUES.REFUND_QUERY) private readonly queries: Queue<RefundQueryJob>,
    @Inject(paymentConfig.KEY) private readonly cfg: ConfigType<typeof paymentConfig>,
    private readonly anomalies: AnomalyRepository,
  ) {}

  /**
   * Calls the gateway's refund for a PENDING refund (first call or a retry) and acts on the answer;
   * with `followUp`, an inconclusive answer schedules the first refund query.
   */
  async attempt(refundNo: string, source: RefundSource = 'answer', followUp = true): Promise<void> {
    const r = await this.repo.findByRefundNo(null, refundNo);
    if (!r || r.status !== 'PENDING') return;
    if (r.channel === 'wallet') {
      await this.apply.applySucceeded(refundNo, 'wallet', 'wallet');
      return;
    }
    const payment = await this.payments.findByPaymentNo(null, r.paymentNo);
    if (!payment) throw new Error(`payment ${r.paymentNo} of refund ${refundNo} not found`);
    await this.repo.bumpAttempts(null, refundNo);
    let res: RefundResult;
    try {
      res = await this.gateway.refund({
        paymentNo: r.paymentNo,
        refundNo,
        amount: r.amount,
        paymentAmount: payment.amount,
        reason: r.reason,
      });
    } catch (err) {
      res = { status: 'UNKNOWN', reason: (err as Error).message };
    }
    await this.onAnswer(r, res, source, followUp);
  }

  /**
   * One refund query (a job, or the sweeper with `n = null`: no follow-up job). Ends the refund or
   * leaves it PENDING; returns whether it is still PENDING.
   */
  async query(refundNo: string, n: number | null): Promise<boolean> {
    const r = await this.repo.findByRefundNo(null, refundNo);
    if (!r || r.status !== 'PENDING') return false;
    if (r.channel === 'wallet') {
      await this.apply.applySucceeded(refundNo, 'wallet', 'wallet');
      return false;
    }
    const q = await this.gateway
      .refundQuery({ paymentNo: r.paymentNo, refundNo })
      .catch((err: Error) => ({ status: 'UNKNOWN' as const, reason: err.message }));
    switch (q.status) {
      case 'SUCCEEDED':
        await this.apply.applySucceeded(refundNo, n === null ? 'sweeper' : 'query', r.channel, q.amount);
        return false;
      case 'FAILED':
        await this.apply.fail(refundNo, `gateway: ${q.reason}`, r.channel);
        return false;
      case 'NOT_FOUND':
        // not refunded (yet): the same number and amount again, never a new refund
        this.logger.log(`refund ${refundNo}: not found at the gateway, retrying under the same number`);
        await this.attempt(refundNo, n === null ? 'sweeper' : 'query', false);
        break;
      default:
        break;
    }
    const pending = (await this.repo.findByRefundNo(null, refundNo))?.status === 'PENDING';
    if (pending && n !== null) await this.scheduleQuery(r, n + 1);
    return pending;
  }

  /** Schedules refund query n (deterministic jobId); false once past the query horizon. */
  async scheduleQuery(r: Refund, n: number): Promise<boolean> {
    const offset = queryOffsetMs(n, this.cfg.queryDelaysMs, QUERY_HORIZON_MS);
    if (offset === null) return false;
    const delay = Math.max(0, r.createdAt.getTime() + offset - Date.now());
    try {
      await this.queries.add(
        { refundNo: r.refundNo, n },
        { jobId: `refund-query:${r.refundNo}:${n}`, delay },
      );
      return true;
    } catch (err) {
      this.logger.warn(
        `could not schedule query ${n} of refund ${r.refundNo} (the sweeper will): ${(err as Error).message}`,
      );
      return false;
    }
  }

  private async onAnswer(
    r: Refund,
    res: RefundResult,
    source: RefundSource,
    followUp: boolean,
  ): Promise<void> {
    switch (res.status) {
      case 'SUCCEEDED':
        await this.apply.applySucceeded(r.refundNo, source, r.channel);
        return;
      case 'FAILED':
        await this.apply.fail(r.refundNo, `${res.code}: ${res.reason}`, r.channel);
        return;
      default:
        // PROCESSING / UNKNOWN: stays PENDING; the query settles it. An already scheduled query job
        // with the same id makes this a no-op.
        this.logger.log(
          `refund ${r.refundNo}: ${res.status}${'reason' in res ? ` (${res.reason})` : ''}; querying later`,
        );
        if (LATE_REFUND_NO_PATTERN.test(r.refundNo)) {
          const why = `${res.status}${'reason' in res ? `: ${res.reason}` : ''} (retried under the same number)`;
          await this.anomalies
            .noteRefundRetrying(r.refundNo, why)
            .catch((err: Error) => this.logger.warn(`anomaly of ${r.refundNo} not noted: ${err.message}`));
        }
        if (followUp) await this.scheduleQuery(r, 1);
    }
  }
}
