import { Process, Processor } from '@nestjs/bull';
import { Inject, Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { QUEUES } from '../common/queue/queue.constants';
import { PAYMENT_GATEWAY, PaymentGateway } from './gateway/payment-gateway';
import { ExpiryJob, PaymentJobs, QueryJob } from './payment-jobs';
import { PaymentCloseService } from './payment-close.service';
import { PaymentRepository } from './payment.repository';
import { PaymentSuccessService } from './payment-success.service';
import { PaymentQueryLog } from './query-log/payment-query-log';

/**
 * Active query ("the merchant asks too"): a dropped or lost notify is found here. PAID goes through
 * the one success path; anything else — including UNKNOWN — only schedules the next query. Each
 * question and its answer goes to the payment's query log (its timeline shows them).
 */
@Processor(QUEUES.PAYMENT_QUERY)
export class PaymentQueryProcessor {
  private readonly logger = new Logger(PaymentQueryProcessor.name);

  constructor(
    private readonly repo: PaymentRepository,
    private readonly jobs: PaymentJobs,
    private readonly success: PaymentSuccessService,
    @Inject(PAYMENT_GATEWAY) private readonly gateway: PaymentGateway,
    private readonly queryLog: PaymentQueryLog,
  ) {}

  @Process({ concurrency: 8 })
  async handle(job: Job<QueryJob>): Promise<void> {
    const { paymentNo, n, createdAtMs } = job.data;
    const p = await this.repo.findByPaymentNo(null, paymentNo);
    if (!p || p.status !== 'PENDING' || p.channel === 'wallet') return;
    const askedAt = new Date();
    const q = await this.gateway.query(paymentNo);
    const logged = { paymentNo, channel: p.channel, source: 'query', attempt: n, askedAt } as const;
    const answeredAt = new Date();
    if (q.status === 'PAID') {
      const outcome = await this.success.applyGatewayPaid(p, q, 'query');
      await this.queryLog.record({ ...logged, answeredAt, answer: q, outcome });
      this.logger.log(`query ${n} of ${paymentNo}: PAID → ${outcome}`);
      // applied / duplicate: done. anomaly (the gateway's amount differs): recorded for a human; asking
      // again cannot change it, and it must never be paid automatically
      return;
    } else if (q.status === 'UNKNOWN') {
      this.logger.warn(`query ${n} of ${paymentNo}: unknown (${q.reason}); asking again later`);
    }
    // WAIT_BUYER_PAY, NOT_EXIST, CLOSED, UNKNOWN: nothing is concluded here; ask again
    await this.queryLog.record({ ...logged, answeredAt, answer: q, outcome: 'ask_again' });
    await this.jobs.scheduleQuery(paymentNo, n + 1, createdAtMs);
  }
}

/** At expires_at: close at the gateway, then locally; an unknown answer throws so Bull retries it. */
@Processor(QUEUES.PAYMENT_EXPIRY)
export class PaymentExpiryProcessor {
  constructor(private readonly closer: PaymentCloseService) {}

  @Process({ concurrency: 4 })
  async handle(job: Job<ExpiryJob>): Promise<string> {
    const outcome = await this.closer.expire(job.data.paymentNo);
    if (outcome === 'retry')
      throw new Error(`expiry of ${job.data.paymentNo}: gateway answer unknown, retrying`);
    return outcome;
  }
}
