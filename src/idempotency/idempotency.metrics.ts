import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service';

/** Counters for every idempotency primitive: hits, blocks, replays, conflicts, lock waits. */
@Injectable()
export class IdempotencyMetrics {
  private readonly events: Counter<'primitive' | 'outcome'>;
  readonly lockWait: Histogram<'outcome'>;

  constructor(metrics: MetricsService) {
    this.events = metrics.counter('oncepay_idempotency_events_total', 'Idempotency primitive outcomes', [
      'primitive',
      'outcome',
    ]);
    this.lockWait = metrics.histogram('oncepay_lock_wait_seconds', 'Time spent waiting for a lock', [
      'outcome',
    ]);
  }

  event(primitive: string, outcome: string): void {
    this.events.inc({ primitive, outcome });
  }
}
