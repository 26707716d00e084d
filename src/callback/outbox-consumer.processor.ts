import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { Counter } from 'prom-client';
import { PaymentSucceededEvent, TOPICS } from '../common/events/payment-events';
import { MetricsService } from '../common/metrics/metrics.service';
import { OutboxJobData } from '../common/outbox/outbox-relay.service';
import { QUEUES } from '../common/queue/queue.constants';

/**
 * Consumer of the Bull queue `outbox` (fed by OutboxRelay): the asynchronous subscribers of events.
 * No order or payment state depends on it — the order is paid in the payment's own transaction —
 * so what it does is observable side effects only: today a counter per topic and order outcome
 * (`oncepay_events_consumed_total`), the place where future integrations (a webhook, a data feed)
 * plug in. At-least-once in: a subscriber must be idempotent or merely statistical.
 */
@Processor(QUEUES.OUTBOX)
export class OutboxConsumer {
  private readonly logger = new Logger(OutboxConsumer.name);
  private readonly consumed: Counter<'topic' | 'outcome'>;

  constructor(metrics: MetricsService) {
    this.consumed = metrics.counter('oncepay_events_consumed_total', 'Outbox events consumed, by topic', [
      'topic',
      'outcome',
    ]);
  }

  @Process({ concurrency: 4 })
  handle(job: Job<OutboxJobData>): string {
    const { topic, payload } = job.data;
    switch (topic) {
      case TOPICS.PAYMENT_SUCCEEDED: {
        const outcome = (payload as unknown as PaymentSucceededEvent).orderOutcome ?? 'unknown';
        this.consumed.inc({ topic, outcome });
        return outcome;
      }
      case TOPICS.ANOMALY_OPENED:
      case TOPICS.REFUND_SUCCEEDED:
      case TOPICS.REFUND_FAILED:
      case TOPICS.ORDER_CANCELLED:
      case TOPICS.TRANSFER_SUCCEEDED:
      case TOPICS.PAYOUT_SUCCEEDED:
      case TOPICS.PAYOUT_FAILED:
        // applied in the change's own transaction; the event is for subscribers (src/events, webhooks)
        this.consumed.inc({ topic, outcome: 'published' });
        return 'published';
      default:
        // a topic nobody consumes is a deployment error: keep the job failed, visible
        this.logger.error(`no consumer for outbox topic ${topic}`);
        throw new Error(`no consumer for outbox topic ${topic}`);
    }
  }
}
