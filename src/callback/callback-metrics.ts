import { Counter } from 'prom-client';
import { MetricsService } from '../common/metrics/metrics.service';

/**
 * `oncepay_callback_duplicates_total{channel}`: notifies answered "done" that left no t_callback_log row
 * — a copy that found its payment SUCCESS at the first read (`ALREADY_PAID`: one read, no write, by
 * design, so a re-send storm costs the database nothing), or, in buffered mode, a copy of a notify that
 * is already on record. Every other notify has its row; this counter is the trace of the rest.
 */
export function callbackDuplicates(metrics: MetricsService): Counter<'channel'> {
  return metrics.counter(
    'oncepay_callback_duplicates_total',
    'Notifies answered as already done without a log row (already paid; in buffered mode a copy already on record), by channel',
    ['channel'],
  );
}
