import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service';

export type OrderEvent =
  | 'created_goods'
  | 'created_recharge'
  | 'out_of_stock'
  | 'cancelled_by_user'
  | 'expired'
  | 'paid'
  | 'paid_after_cancel';

/** `oncepay_order_events_total{event}`: what happened to orders on this instance. */
@Injectable()
export class OrderMetrics {
  private readonly events: Counter<'event'>;

  constructor(metrics: MetricsService) {
    this.events = metrics.counter('oncepay_order_events_total', 'Order lifecycle events', ['event']);
  }

  inc(event: OrderEvent): void {
    this.events.inc({ event });
  }
}
