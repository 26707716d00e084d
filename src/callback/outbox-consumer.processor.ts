import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { PaymentSucceededEvent, TOPICS } from '../common/events/payment-events';
import { OutboxJobData } from '../common/outbox/outbox-relay.service';
import { QUEUES } from '../common/queue/queue.constants';
import { OrderService } from '../order';
import { PaymentPort } from './payment-port';

/**
 * Consumer of the Bull queue `outbox` (fed by OutboxRelay): dispatches each event by topic.
 * At-least-once in, exactly-once effect: every handler is idempotent in MySQL (the order side runs
 * `runOnce('ORDER_PAID', orderNo)`). A throw makes Bull retry with exponential backoff
 * (DEFAULT_JOB_OPTIONS); a job that exhausts its attempts is kept as failed for inspection, and
 * its outbox row stays SENT — the payment sweeper's "stuck in PAYING" check is the backstop.
 */
@Processor(QUEUES.OUTBOX)
export class OutboxConsumer {
  private readonly logger = new Logger(OutboxConsumer.name);

  constructor(
    private readonly orders: OrderService,
    private readonly payments: PaymentPort,
  ) {}

  @Process({ concurrency: 4 })
  async handle(job: Job<OutboxJobData>): Promise<string> {
    const { topic, payload } = job.data;
    switch (topic) {
      case TOPICS.PAYMENT_SUCCEEDED:
        return this.onPaymentSucceeded(payload as unknown as PaymentSucceededEvent);
      case TOPICS.REFUND_SUCCEEDED:
        // the order side was applied in the refund's own transaction; the event is for subscribers
        return 'published';
      default:
        // a topic nobody consumes is a deployment error: keep the job failed, visible
        throw new Error(`no consumer for outbox topic ${topic}`);
    }
  }

  private async onPaymentSucceeded(event: PaymentSucceededEvent): Promise<string> {
    const { outcome } = await this.orders.applyPaymentSucceeded(event);
    if (outcome === 'paid_after_cancel') {
      // the money arrived for an order that can no longer be fulfilled: a person must refund it
      this.logger.error(`payment ${event.paymentNo} succeeded after order ${event.orderNo} was cancelled`);
      await this.payments.recordAnomaly(
        event.paymentNo,
        'PAID_AFTER_CANCEL',
        `order ${event.orderNo} was cancelled; ${event.amount} fen to refund`,
      );
    }
    return outcome;
  }
}
